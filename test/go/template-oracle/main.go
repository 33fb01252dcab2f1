// Command template-oracle executes ESO-style templates with Go's own text/template and sprig, for the
// differential tests of eso/template. It reads JSON lines {name, template, data} (data values base64)
// on stdin and writes one JSON line {output} (base64) or {error} per input line, in order.
package main

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"sigs.k8s.io/yaml"
)

type request struct {
	// Mode "kv" unmarshals Template as YAML into map[string]string (ESO's KeysAndValues scope) and
	// returns the map as JSON; the default mode executes Template.
	Mode     string            `json:"mode"`
	Name     string            `json:"name"`
	Template string            `json:"template"`
	Data     map[string]string `json:"data"`
}

type response struct {
	Output *string `json:"output,omitempty"`
	Error  *string `json:"error,omitempty"`
}

// funcs is the function map ESO v2.9.0 templates see (runtime/template/v2/template.go): the sprig ESO
// vendors in runtime/template/v2/sprig, which is sprig at the commit go.mod pins without env, expandenv
// and getHostByName and with hexdec added, plus ESO's own functions, written here from ESO's sources
// over the same libraries (go-pkcs12, crypto/x509) at the versions ESO's runtime/go.mod requires.
func funcs() template.FuncMap {
	m := sprig.TxtFuncMap()
	for _, name := range []string{"env", "expandenv", "getHostByName"} {
		delete(m, name)
	}
	// runtime/template/v2/sprig/strings.go: hex.DecodeString, the error text in place of a result.
	m["hexdec"] = func(v string) string {
		b, err := hex.DecodeString(v)
		if err != nil {
			return err.Error()
		}
		return string(b)
	}
	for name, f := range esoPKCS12Funcs() {
		m[name] = f
	}
	m["filterCertChain"] = filterCertChain
	for name, f := range checkFuncs() {
		m[name] = f
	}
	m["toYaml"] = func(v any) string {
		out, err := yaml.Marshal(v)
		if err != nil {
			return ""
		}
		return strings.TrimSuffix(string(out), "\n")
	}
	m["fromYaml"] = func(s string) map[string]any {
		out := map[string]any{}
		if err := yaml.Unmarshal([]byte(s), &out); err != nil {
			out["Error"] = err.Error()
		}
		return out
	}
	m["filterPEM"] = filterPEM
	m["certSANs"] = certSANs
	return m
}

// filterPEM keeps the PEM blocks of one type (case-insensitive), as ESO documents it.
func filterPEM(kind, input string) (string, error) {
	if i := strings.Index(input, "-----BEGIN"); i >= 0 {
		input = input[i:]
	}
	rest := []byte(input)
	var kept []byte
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if strings.EqualFold(block.Type, kind) {
			kept = append(kept, pem.EncodeToMemory(block)...)
		}
	}
	if len(kept) == 0 && len(rest) != 0 {
		return "", errors.New("error filtering pem: found junk")
	}
	return string(kept), nil
}

// certSANs lists a certificate's DNS names, IPs, emails and URIs, in that order, as ESO documents it.
func certSANs(input string) ([]string, error) {
	if i := strings.Index(input, "-----BEGIN"); i >= 0 {
		input = input[i:]
	}
	block, _ := pem.Decode([]byte(input))
	if block == nil {
		return nil, errors.New("failed to decode PEM block")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("failed to parse certificate: %w", err)
	}
	out := append([]string{}, cert.DNSNames...)
	for _, ip := range cert.IPAddresses {
		out = append(out, ip.String())
	}
	out = append(out, cert.EmailAddresses...)
	for _, u := range cert.URIs {
		out = append(out, u.String())
	}
	return out, nil
}

func run(fm template.FuncMap, req request) response {
	if req.Mode == "kv" {
		out := map[string]string{}
		if err := yaml.Unmarshal([]byte(req.Template), &out); err != nil {
			msg := err.Error()
			return response{Error: &msg}
		}
		js, _ := json.Marshal(out)
		enc := base64.StdEncoding.EncodeToString(js)
		return response{Output: &enc}
	}
	data := make(map[string]string, len(req.Data))
	for k, v := range req.Data {
		raw, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			msg := "oracle: bad base64 in data"
			return response{Error: &msg}
		}
		data[k] = string(raw)
	}
	name := req.Name
	if name == "" {
		name = "t"
	}
	t, err := template.New(name).Option("missingkey=error").Funcs(fm).Parse(req.Template)
	if err == nil {
		var buf bytes.Buffer
		err = t.Execute(&buf, data)
		if err == nil {
			out := base64.StdEncoding.EncodeToString(buf.Bytes())
			return response{Output: &out}
		}
	}
	msg := err.Error()
	return response{Error: &msg}
}

func main() {
	fm := funcs()
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	for in.Scan() {
		var req request
		var resp response
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			msg := "oracle: bad request: " + err.Error()
			resp = response{Error: &msg}
		} else {
			resp = func() (r response) {
				defer func() {
					if p := recover(); p != nil {
						msg := "oracle: panic"
						r = response{Error: &msg}
					}
				}()
				return run(fm, req)
			}()
		}
		if err := enc.Encode(resp); err != nil {
			os.Exit(1)
		}
		out.Flush()
	}
}
