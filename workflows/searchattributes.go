package workflows

import (
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
)

// Custom search attributes of a case (docs/DESIGN.md §6.4). They hold codes, levels
// and times only, because every Web UI user can read them.
var (
	SACaseStatus      = temporal.NewSearchAttributeKeyKeyword("CaseStatus")
	SACaseCategory    = temporal.NewSearchAttributeKeyKeyword("CaseCategory")
	SADepartment      = temporal.NewSearchAttributeKeyKeyword("Department")
	SAPriority        = temporal.NewSearchAttributeKeyKeyword("Priority")
	SACommunity       = temporal.NewSearchAttributeKeyKeyword("Community")
	SAChannel         = temporal.NewSearchAttributeKeyKeyword("Channel")
	SAAssignee        = temporal.NewSearchAttributeKeyKeyword("Assignee")
	SAEscalationLevel = temporal.NewSearchAttributeKeyInt64("EscalationLevel")
	SASlaBreached     = temporal.NewSearchAttributeKeyBool("SlaBreached")
	SANextDeadline    = temporal.NewSearchAttributeKeyTime("NextDeadline")
)

// SearchAttributes returns the custom search attributes to register, by name.
// A function rather than a shared map so no caller can change the set.
func SearchAttributes() map[string]enums.IndexedValueType {
	return map[string]enums.IndexedValueType{
		SACaseStatus.GetName():      enums.INDEXED_VALUE_TYPE_KEYWORD,
		SACaseCategory.GetName():    enums.INDEXED_VALUE_TYPE_KEYWORD,
		SADepartment.GetName():      enums.INDEXED_VALUE_TYPE_KEYWORD,
		SAPriority.GetName():        enums.INDEXED_VALUE_TYPE_KEYWORD,
		SACommunity.GetName():       enums.INDEXED_VALUE_TYPE_KEYWORD,
		SAChannel.GetName():         enums.INDEXED_VALUE_TYPE_KEYWORD,
		SAAssignee.GetName():        enums.INDEXED_VALUE_TYPE_KEYWORD,
		SAEscalationLevel.GetName(): enums.INDEXED_VALUE_TYPE_INT,
		SASlaBreached.GetName():     enums.INDEXED_VALUE_TYPE_BOOL,
		SANextDeadline.GetName():    enums.INDEXED_VALUE_TYPE_DATETIME,
	}
}
