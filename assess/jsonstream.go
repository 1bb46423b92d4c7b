package assess

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// streamedArray is an array field of a JSON document whose elements are
// encoded one at a time (see writeJSONStreamed).
type streamedArray struct {
	depth int    // nesting of the object that holds the field (0: the document)
	key   string // the field's name
	n     int    // number of elements
	elem  func(i int) any
}

// writeJSONStreamed writes head as json.Encoder with SetIndent("", "  ")
// does, byte for byte, except that each array field in arrays, which head
// holds as an empty array, is filled with the elements of that array,
// encoded one at a time: a report of a million findings never sits whole
// in memory as JSON. The arrays must come in document order.
func writeJSONStreamed(w io.Writer, head any, arrays ...streamedArray) error {
	doc, err := json.MarshalIndent(head, "", "  ")
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	for _, a := range arrays {
		indent := strings.Repeat("  ", a.depth+1)
		// Keys at this depth start a line with exactly this indent; string
		// values cannot hold a raw newline, so the mark is unambiguous.
		mark := []byte("\n" + indent + `"` + a.key + `": []`)
		i := bytes.Index(doc, mark)
		if i < 0 {
			return fmt.Errorf("encode JSON: no empty array %q at depth %d", a.key, a.depth)
		}
		bw.Write(doc[:i+len(mark)-2])
		doc = doc[i+len(mark):]
		if err := writeJSONArray(bw, indent, a); err != nil {
			return err
		}
	}
	bw.Write(doc)
	bw.WriteByte('\n')
	return bw.Flush()
}

func writeJSONArray(w *bufio.Writer, indent string, a streamedArray) error {
	if a.n == 0 {
		_, err := w.WriteString("[]")
		return err
	}
	w.WriteString("[\n")
	for i := range a.n {
		b, err := json.MarshalIndent(a.elem(i), indent+"  ", "  ")
		if err != nil {
			return err
		}
		w.WriteString(indent + "  ")
		if _, err := w.Write(b); err != nil {
			return err // the writer failed: stop encoding
		}
		if i < a.n-1 {
			w.WriteByte(',')
		}
		w.WriteByte('\n')
	}
	_, err := w.WriteString(indent + "]")
	return err
}
