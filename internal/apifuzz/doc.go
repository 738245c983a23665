// Package apifuzz fuzzes every JSON request body of the API (api/openapi.yaml) against the
// real handlers: the router api.NewHandler builds for production, a real PostgreSQL (one
// fresh database per fuzz target, see internal/pgtest) acting as the application role,
// and a real Temporal dev server with the real worker, so that a body the API accepts
// really opens or moves a case.
//
// The property every fuzz target checks, for any bytes sent as an operation's body:
//   - never a 5xx, and so never a panic (the router turns a panic into a 500);
//   - every 4xx is application/problem+json whose status is the answer's, with a title,
//     and a 400 names each field it refuses with a reason;
//   - a refused request writes nothing: the rows of the tables a request can create are
//     as many after a 4xx as before it.
//
// The package has only tests. Its committed corpus (testdata/fuzz/FuzzXxx) holds valid
// bodies of every operation and tricky ones (wrong types, huge numbers, NUL bytes,
// invalid UTF-8, deep nesting, duplicate and unknown keys, dates out of range, codice
// fiscale edge cases); `go test` runs it as ordinary tests, and `make fuzz` fuzzes each
// target for FUZZTIME.
package apifuzz
