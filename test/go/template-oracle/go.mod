module esi.test/template-oracle

go 1.25.0

// The versions ESO v2.9.0 builds its templates with (runtime/go.mod; its vendored sprig is
// Masterminds sprig at v3.3.1-0.20241028115027-8cb06fe3c8b0, runtime/template/v2/sprig/README.md).
require (
	dario.cat/mergo v1.0.2 // indirect
	github.com/Masterminds/goutils v1.1.1 // indirect
	github.com/Masterminds/semver/v3 v3.4.0 // indirect
	github.com/Masterminds/sprig/v3 v3.3.1-0.20241028115027-8cb06fe3c8b0
	github.com/google/uuid v1.6.0 // indirect
	github.com/huandu/xstrings v1.5.0 // indirect
	github.com/mitchellh/copystructure v1.2.0 // indirect
	github.com/shopspring/decimal v1.4.0 // indirect
	github.com/spf13/cast v1.10.0 // indirect
	golang.org/x/crypto v0.53.0
	sigs.k8s.io/yaml v1.6.0
	software.sslmate.com/src/go-pkcs12 v0.7.0
)

require (
	github.com/mitchellh/reflectwalk v1.0.2 // indirect
	go.yaml.in/yaml/v2 v2.4.4 // indirect
)
