package start

import (
	"context"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"
)

// NoticeName is the registered type name of the delivery of one notification.
const NoticeName = "DeliverNotification"

// NoticeID is the workflow ID of the delivery of the notification queued under key: one
// per notification.
func NoticeID(key string) string { return hashedID("notice-", key) }

// Notice is how the delivery of the notification queued under key starts on taskQueue:
// once per key. A start that finds the delivery running returns its run; one that finds
// it finished fails with WorkflowExecutionAlreadyStarted. Either way nothing is sent
// twice.
func Notice(taskQueue, key string) Spec {
	return Spec{Name: NoticeName, Options: client.StartWorkflowOptions{
		ID:                       NoticeID(key),
		TaskQueue:                taskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}}
}

// DeliverNotice starts the delivery of the notification queued under key (see Notice).
// The key is the workflow's input.
func DeliverNotice(ctx context.Context, c Executor, taskQueue, key string) (client.WorkflowRun, error) {
	return Notice(taskQueue, key).Execute(ctx, c, key)
}

// AccountMessageName is the registered type name of the delivery of one account message
// (an invitation, a reset link, credentials).
const AccountMessageName = "DeliverAccountMessage"

// AccountMessageID is the workflow ID of the delivery of the account message queued under
// key: one per message, whoever starts it (the API, or an onboarding as its child).
func AccountMessageID(key string) string { return hashedID("account-message-", key) }

// AccountMessage is how the API starts the delivery of the account message queued under
// key on taskQueue: a start that finds it running returns its run. A finished delivery
// may be started again under the same ID; the message's row in the store says it went,
// and the delivery sends nothing twice.
func AccountMessage(taskQueue, key string) Spec {
	return Spec{Name: AccountMessageName, Options: client.StartWorkflowOptions{
		ID:                       AccountMessageID(key),
		TaskQueue:                taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}}
}

// DeliverAccountMessage starts the delivery of the account message queued under key (see
// AccountMessage). The key is the workflow's input.
func DeliverAccountMessage(ctx context.Context, c Executor, taskQueue, key string) (client.WorkflowRun, error) {
	return AccountMessage(taskQueue, key).Execute(ctx, c, key)
}

// AccountMessageChild is the options of the delivery of an account message that an
// onboarding starts: it lives on if the onboarding ends first.
func AccountMessageChild(key string) workflow.ChildWorkflowOptions {
	return workflow.ChildWorkflowOptions{
		WorkflowID:        AccountMessageID(key),
		ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
	}
}
