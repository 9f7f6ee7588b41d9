---@meta sandgate
-- Annotations of sandgate's Lua API for the Lua language server (LuaLS):
-- completion and type hints in handlers. The gateway never loads this
-- file; docs/lua-api.md describes the API in full.

---@alias sandgate.Headers table<string, string|string[]> name -> value or list of values

---A handler: called for every request routed to it.
---@alias sandgate.Handler fun(req: sandgate.Request, ctx: sandgate.Context): sandgate.Response|sandgate.Deny

---@alias sandgate.ParamType "string"|"number"|"boolean"|"list"|"table"|"any"

---A declared param.
---@class sandgate.Param
---@field type sandgate.ParamType
---@field required? boolean a binding must give it
---@field default? any what ctx.params holds when a binding leaves it out

---What a script may return instead of a plain function.
---@class sandgate.Script
---@field handler sandgate.Handler
---@field params? table<string, sandgate.Param>

---The sandbox's request, as the handler may change it before fetch(req).
---@class sandgate.Request
---@field method string "GET", "POST", ... (writable)
---@field url string the absolute URL (read-only)
---@field scheme "http"|"https" (read-only)
---@field host string lowercase, without port or trailing dot (read-only)
---@field port integer the effective port: the one written, else 80 or 443 (read-only)
---@field path string the escaped path, starting with "/" (writable)
---@field query string the raw query string, without "?" (writable)
local Request = {}

---The first value of a header, or nil; names are case-insensitive.
---@param name string
---@return string?
function Request:header(name) end

---Every header: lowercase name -> list of values.
---@return table<string, string[]>
function Request:headers() end

---Replaces every value of a header (Host is read-only).
---@param name string
---@param value string
function Request:set_header(name, value) end

---Adds a value to a header.
---@param name string
---@param value string
function Request:add_header(name, value) end

---Removes a header.
---@param name string
function Request:del_header(name) end

---The body, buffered (at most limits.max_body_bytes).
---@return string
function Request:body() end

---Replaces the body.
---@param body string
function Request:set_body(body) end

---A response: from fetch, or built with response{}.
---@class sandgate.Response
---@field status integer the status code (read-only)
local Response = {}

---The first value of a header, or nil.
---@param name string
---@return string?
function Response:header(name) end

---Every header: lowercase name -> list of values.
---@return table<string, string[]>
function Response:headers() end

---Replaces every value of a header the sandbox gets.
---@param name string
---@param value string
function Response:set_header(name, value) end

---Adds a value to a header the sandbox gets.
---@param name string
---@param value string
function Response:add_header(name, value) end

---Removes a header the sandbox would get.
---@param name string
function Response:del_header(name) end

---The body, buffered (at most limits.max_body_bytes); unread, a body streams.
---@return string
function Response:body() end

---What deny() returns: the gateway's standard refusal.
---@class sandgate.Deny
---@field reason string

---The request's context (read-only).
---@class sandgate.Context
---@field sandbox_id string
---@field class string
---@field handler string this handler's name
---@field params table<string, any> the binding's params, defaults filled in
---@field request_id string
---@field labels table<string, string> given when the sandbox was created

---A side request of fetch{...}.
---@class sandgate.SideRequest
---@field method? string default "GET"
---@field url string an absolute http or https URL
---@field headers? sandgate.Headers
---@field body? string

---The fields of response{...}.
---@class sandgate.ResponseFields
---@field status? integer 200 to 599, default 200
---@field headers? sandgate.Headers
---@field body? string

---Sends the request (as the handler left it) to its host, or a side request
---of its own; raises an error for a refused address or an upstream failure.
---@param req sandgate.Request|sandgate.SideRequest
---@return sandgate.Response
function fetch(req) end

---Builds a response without contacting anyone.
---@param fields sandgate.ResponseFields
---@return sandgate.Response
function response(fields) end

---The standard refusal: 403 (or the class's deny_status) with a JSON body.
---@param reason? string default "handler"; letters, digits, _ . - (at most 64)
---@return sandgate.Deny
function deny(reason) end

secrets = {}

---Reads a secret: one field's value, or a table of every field. Raises an
---error when the secret or field is missing or the backend fails.
---@param path string a path below the backend's prefix, e.g. "sandboxes/" .. ctx.sandbox_id
---@param field? string
---@return string|table<string, string>
---@overload fun(path: string, field: string): string
function secrets.get(path, field) end

---Treats a value the handler obtained itself as a secret for the rest of
---the request (redacted from logs and from what the sandbox receives).
---@param value string
---@return string value
function secrets.protect(value) end

ratelimit = {}

---Takes one token from the sandbox's bucket key: true, or false when empty.
---@param key string
---@param rate_per_second number
---@param burst integer
---@return boolean
function ratelimit.take(key, rate_per_second, burst) end

log = {}

---@param msg string
---@param fields? table<string, any>
function log.info(msg, fields) end

---@param msg string
---@param fields? table<string, any>
function log.warn(msg, fields) end

---@param msg string
---@param fields? table<string, any>
function log.error(msg, fields) end

json = {}

---JSON's null, as json.decode returns it; json.encode writes it as null.
---@type userdata
json.null = nil

---@param value any
---@return string
function json.encode(value) end

---@param text string
---@return any
function json.decode(text) end

hosts = {}

---Whether host matches a host pattern (or one of a list): globs with * ? [...]
---{a,b}, an optional :port, IP addresses and CIDRs.
---@param pattern string|string[]
---@param host string may carry ":port" when port is not given
---@param port? integer
---@return boolean
function hosts.match(pattern, host, port) end
