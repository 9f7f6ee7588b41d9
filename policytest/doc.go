// Package policytest runs policy tests, the *_test.lua files of `sandgate
// test`: each file declares tests with test(name, fn); run(handler,
// request, opts) calls a handler through the real engine (same Lua API,
// same fail-closed mapping as the proxy) with a fake upstream and fake
// secrets, and eq(got, want) compares deeply. Nothing leaves the machine: a
// fetch without an upstream in run's opts fails the test.
package policytest
