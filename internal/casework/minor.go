package casework

// One record per minor (issue 16): what a case records when another filing names its
// minor.
const (
	// EventDuplicateFiled: another organisation filed a request for the minor of this
	// open case, one that may not see the case; UST reconciles them. The event names the
	// organisation, not the request's data.
	EventDuplicateFiled EventKind = "duplicate_filed"
	// EscalationPossibleDuplicate: the case waits for UST to reconcile it with another
	// filing of its minor.
	EscalationPossibleDuplicate = "possible_duplicate"
)
