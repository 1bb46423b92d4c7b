package inspect

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
)

// ReadJSONFile reads a JSON document aadvisor wrote (an assessment, a
// forecast) into v; a syntax error names its line.
func ReadJSONFile(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return fmt.Errorf("%s: empty file", path)
	}
	if err := json.Unmarshal(data, v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line := 1 + strings.Count(string(data[:min(int(se.Offset), len(data))]), "\n")
			return fmt.Errorf("%s:%d: invalid JSON: %v", path, line, err)
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
