// Package e2e holds end-to-end tests of Approdo: real HTTP requests to the API, a real
// Temporal server (the dev server binary), the real worker and a real PostgreSQL. It has
// no production code.
package e2e
