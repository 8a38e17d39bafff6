package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"
)

// DeliveryWorkflow is the registered name of NotificationDelivery.
const DeliveryWorkflow = "NotificationDelivery"

// NotificationDelivery sends notifications queued outside a case workflow,
// such as a tracking link staff re-send after the case may have finished:
// the same DeliverNotifications activity with the same retries as a case's
// own messages, durable across restarts. It carries outbox keys only; the
// message and its address are read by the activity.
func NotificationDelivery(ctx workflow.Context, keys []string) error {
	if err := workflow.ExecuteActivity(deliveryContext(ctx), DeliverActivity, keys).Get(ctx, nil); err != nil {
		return fmt.Errorf("deliver %v: %w", keys, err)
	}
	return nil
}
