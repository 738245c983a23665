// Package activities holds the side effects of Approdo's workflows: database writes now,
// notifications later. Activities are methods on structs that carry their dependencies,
// so tests can swap them, and every one of them is idempotent because Temporal retries.
package activities
