// gjson-oracle runs the real github.com/tidwall/gjson v1.18.0 and Go encoding/json for esi's
// differential tests. It reads one JSON request per line on stdin and writes one JSON answer per line.
// Byte strings travel base64-encoded so invalid UTF-8 survives the trip in both directions.
package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

type request struct {
	Op        string `json:"op"`
	JSON      string `json:"json"` // base64
	Path      string `json:"path"`
	Escape    *bool  `json:"escape"`
	UseNumber bool   `json:"useNumber"`
}

type answer struct {
	Exists bool              `json:"exists,omitempty"`
	Type   string            `json:"type,omitempty"`
	Raw    string            `json:"raw,omitempty"`
	Str    string            `json:"str,omitempty"`
	String string            `json:"string,omitempty"`
	Num    string            `json:"num,omitempty"`
	Out    string            `json:"out,omitempty"`
	Found  bool              `json:"found,omitempty"`
	Map    map[string]string `json:"map,omitempty"`
	Err    string            `json:"err,omitempty"`
}

func b64(s []byte) string { return base64.StdEncoding.EncodeToString(s) }

func decode(data []byte, useNumber bool, v any) error {
	if !useNumber || !json.Valid(data) {
		return json.Unmarshal(data, v) // syntax errors read exactly as json.Unmarshal words them
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	return d.Decode(v)
}

func marshal(v any, escape bool) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escape)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// byteValue mirrors what ESO's GetByteValue does for the types a decoded JSON value can have.
func byteValue(v any) []byte {
	switch t := v.(type) {
	case string:
		return []byte(t)
	case float64:
		return []byte(strconv.FormatFloat(t, 'f', -1, 64))
	case json.Number:
		return []byte(t.String())
	case bool:
		return []byte(strconv.FormatBool(t))
	case nil:
		return nil
	default:
		b, _ := json.Marshal(t)
		return b
	}
}

func handle(r request) answer {
	data, err := base64.StdEncoding.DecodeString(r.JSON)
	if err != nil {
		return answer{Err: "bad base64"}
	}
	switch r.Op {
	case "get":
		res := gjson.Get(string(data), r.Path)
		return answer{Exists: res.Exists(), Type: res.Type.String(), Raw: b64([]byte(res.Raw)),
			Str: b64([]byte(res.Str)), String: b64([]byte(res.String())),
			Num: strconv.FormatFloat(res.Num, 'g', -1, 64)}
	case "marshal":
		var v any
		if err := decode(data, r.UseNumber, &v); err != nil {
			return answer{Err: err.Error()}
		}
		out, err := marshal(v, r.Escape == nil || *r.Escape)
		if err != nil {
			return answer{Err: err.Error()}
		}
		return answer{Out: b64(out)}
	case "awsProperty": // ESO AWS GetSecret with a property (§7.1 step 4)
		payload := string(data)
		if strings.Contains(r.Path, ".") {
			if v := gjson.Get(payload, strings.ReplaceAll(r.Path, ".", "\\.")); v.Exists() {
				return answer{Found: true, Out: b64([]byte(v.String()))}
			}
		}
		v := gjson.Get(payload, r.Path)
		if !v.Exists() {
			return answer{}
		}
		return answer{Found: true, Out: b64([]byte(v.String()))}
	case "fakeProperty": // ESO fake GetSecret with a property (§7.3)
		v := gjson.Get(string(data), r.Path)
		if !v.Exists() {
			return answer{}
		}
		return answer{Found: true, Out: b64([]byte(v.String()))}
	case "awsMap": // ESO AWS GetSecretMap value decoding (§7.1)
		var kv map[string]json.RawMessage
		if err := json.Unmarshal(data, &kv); err != nil {
			return answer{Err: err.Error()}
		}
		m := map[string]string{}
		for k, raw := range kv {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				m[k] = b64([]byte(s))
			} else {
				m[k] = b64(raw)
			}
		}
		return answer{Found: true, Map: m}
	case "vaultGet": // ESO Vault getSecretValue over KV data decoded with UseNumber (§7.2)
		var m map[string]any
		if err := decode(data, true, &m); err != nil {
			return answer{Err: err.Error()}
		}
		whole, err := json.Marshal(m)
		if err != nil {
			return answer{Err: err.Error()}
		}
		if r.Path == "" {
			return answer{Found: true, Out: b64(whole)}
		}
		if v, ok := m[r.Path]; ok {
			return answer{Found: true, Out: b64(byteValue(v))}
		}
		v := gjson.Get(string(whole), r.Path)
		if !v.Exists() {
			return answer{}
		}
		return answer{Found: true, Out: b64([]byte(v.String()))}
	case "vaultMap": // ESO Vault GetSecretMap: re-decode without UseNumber (§7.2)
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			return answer{Err: err.Error()}
		}
		out := map[string]string{}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out[k] = b64(byteValue(m[k]))
		}
		return answer{Found: true, Map: out}
	case "formatFloat":
		f, err := strconv.ParseFloat(string(data), 64)
		return answer{Out: b64([]byte(strconv.FormatFloat(f, 'f', -1, 64))), Num: strconv.FormatFloat(f, 'g', -1, 64), Found: err == nil}
	}
	return answer{Err: "unknown op " + r.Op}
}

func main() {
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	enc := json.NewEncoder(out)
	for {
		line, err := in.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var r request
			if jerr := json.Unmarshal(line, &r); jerr != nil {
				_ = enc.Encode(answer{Err: "bad request: " + jerr.Error()})
			} else {
				_ = enc.Encode(handle(r))
			}
		}
		// Answer a whole batch at once: flush only when no more requests are waiting.
		if err != nil || in.Buffered() == 0 {
			_ = out.Flush()
		}
		if err != nil {
			return
		}
	}
}
