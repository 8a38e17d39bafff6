package devtemporal

import "testing"

// The embedded Web UI only reads unless the operator says otherwise, and
// decodes through the codec endpoint with the staff's credentials.
func TestUIConfigWriteActions(t *testing.T) {
	for _, tc := range []struct {
		name     string
		o        Options
		readOnly bool
	}{
		{"default", Options{UICodecEndpoint: "http://127.0.0.1:8080/codec"}, true},
		{"turned on", Options{UICodecEndpoint: "http://127.0.0.1:8080/codec", UIWriteActions: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := UIConfig(tc.o, "127.0.0.1:7233")
			for name, off := range map[string]bool{
				"DisableWriteActions": c.DisableWriteActions, "WorkflowTerminateDisabled": c.WorkflowTerminateDisabled,
				"WorkflowCancelDisabled": c.WorkflowCancelDisabled, "WorkflowSignalDisabled": c.WorkflowSignalDisabled,
				"WorkflowUpdateDisabled": c.WorkflowUpdateDisabled, "WorkflowResetDisabled": c.WorkflowResetDisabled,
				"BatchActionsDisabled": c.BatchActionsDisabled, "StartWorkflowDisabled": c.StartWorkflowDisabled,
			} {
				if off != tc.readOnly {
					t.Errorf("%s = %v, want %v", name, off, tc.readOnly)
				}
			}
			if c.Codec.Endpoint != tc.o.UICodecEndpoint || !c.Codec.IncludeCredentials {
				t.Errorf("codec %+v", c.Codec)
			}
			if c.TemporalGRPCAddress != "127.0.0.1:7233" || !c.EnableUI {
				t.Errorf("UI not pointed at the server: %+v", c)
			}
		})
	}
}
