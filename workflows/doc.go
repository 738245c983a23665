// Package workflows holds Approdo's Temporal workflows: the enrolment case now, the family
// reunification journey and the others later. Workflow code is deterministic: it uses only
// workflow.Now, workflow.Go, workflow.Sleep and the workflow logger, and `make lint` runs
// workflowcheck over it.
package workflows
