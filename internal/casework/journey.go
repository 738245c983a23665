package casework

import "time"

// JourneyPolicy is a reunification journey's deadlines, all configuration: the law
// changes (the nulla osta's deadline went from 90 to 150 days, say).
type JourneyPolicy struct {
	// MaxContactAttempts failed attempts to reach the family escalate the journey.
	MaxContactAttempts int
	// InterviewReminder is how long before the orientation interview it is recalled.
	InterviewReminder time.Duration
	// NullaOstaValidity is how long after its issue the nulla osta allows the arrival;
	// past it without an arrival the journey raises a check.
	NullaOstaValidity time.Duration
	// PermessoDays is the time after arrival to apply for the permesso di soggiorno.
	PermessoDays int
	// FollowUpEvery and FollowUps schedule the family-support follow-ups; MaxDuration
	// closes the journey in any case.
	FollowUpEvery time.Duration
	FollowUps     int
	MaxDuration   time.Duration
}

// JourneyChild is an enrolment case a journey opened for a member of the family.
type JourneyChild struct {
	// Member is the index of the member in the family as sent.
	Member int
	CaseID string
	Stage  Stage `json:",omitempty"`
}

// JourneyEvent is an entry of a journey's timeline. Notes are written by the one-stop
// shop's operators and read only by them.
type JourneyEvent struct {
	Seq    int64
	At     time.Time
	Kind   string
	Actor  Org    `json:",omitzero"`
	Reason string `json:",omitempty"`
	Note   string `json:",omitempty"`
}
