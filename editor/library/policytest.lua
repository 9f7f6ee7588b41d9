---@meta policytest
-- Annotations of the test functions of `sandgate test` (*_test.lua files)
-- for the Lua language server. The gateway never loads this file.

---The sandbox's request of run().
---@class policytest.Request
---@field method? string default "GET"
---@field url string absolute http or https URL
---@field headers? table<string, string|string[]>
---@field body? string

---run()'s options.
---@class policytest.Options
---@field params? table<string, any> the binding's params, checked as a binding's are
---@field sandbox_id? string default "test"
---@field class? string default "default"
---@field labels? table<string, string>
---@field secrets? table<string, table<string, string>> ["path"] = {field = "value"}: all the handler can read
---@field upstream? (fun(req: policytest.Sent): (sandgate.Response|sandgate.ResponseFields))|sandgate.ResponseFields what every fetch gets

---What the sandbox would receive.
---@class policytest.Result
---@field status integer
---@field decision "forward"|"response"|"deny"|"error"
---@field reason? string for a deny or an error
---@field error? string for an error: its cause, which the sandbox never sees
local Result = {}

---@param name string
---@return string?
function Result:header(name) end

---@return table<string, string[]>
function Result:headers() end

---@return string
function Result:body() end

---A request that would have left the gateway.
---@class policytest.Sent
---@field method string
---@field url string
---@field host string
---@field headers table<string, string[]> lowercase name -> values
---@field body string

---Declares a test.
---@param name string
---@param fn fun()
function test(name, fn) end

---Calls a handler as the proxy would.
---@param handler string
---@param request policytest.Request
---@param opts? policytest.Options
---@return policytest.Result res
---@return policytest.Sent[] sent
function run(handler, request, opts) end

---Compares deeply; fails the test showing both values.
---@param got any
---@param want any
---@param msg? string
function eq(got, want, msg) end
