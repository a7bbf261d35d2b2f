package gen

import "testing"

func TestNames(t *testing.T) {
	for in, want := range map[string]string{"Interop": "interop", "type": "type_", "_": "__", "Main": "main_", "init": "init"} {
		if got := packageName(in); got != want {
			t.Errorf("packageName(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"x": "X", "_x": "X_x", "readFields": "ReadFields_", "tarsType": "TarsType_", "A": "A"} {
		if got := fieldName(in); got != want {
			t.Errorf("fieldName(%q) = %q, want %q", in, got, want)
		}
	}
	got := paramNames([]string{"ctx", "ctx_", "name", "_", "func", "codec", "v0"}, map[string]string{"codec": "x"})
	want := []string{"ctx_", "ctx__", "name", "__", "func_", "codec_", "v0"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("paramNames = %v, want %v", got, want)
			break
		}
	}
	for name, taken := range map[string]bool{"r": true, "n12": true, "k": false, "interop": false, "slices": true, "go": true} {
		if aliasTaken(name) != taken {
			t.Errorf("aliasTaken(%q) = %v", name, !taken)
		}
	}
}
