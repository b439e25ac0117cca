// Command gendocs renders the reference of the Foreman custom resource's
// spec into README.md, between the markers
//
//	<!-- BEGIN FOREMAN SPEC REFERENCE -->
//	<!-- END FOREMAN SPEC REFERENCE -->
//
// from the generated CRD's OpenAPI schema (type, default, enum, bounds and
// CEL rule messages: what the API server enforces) and the Go types in
// pkg/apis/app/v1alpha1 (field order, and where a typed Kubernetes type such
// as corev1.Affinity begins, which is linked rather than expanded). The two
// must agree field by field, so a CRD older than the types is an error.
// It also shows the design's example CR and what the API server stores for
// an empty spec, computed with the API server's own defaulting code.
//
// `make docs` runs it; `make verify-gen` runs it with -out to check the
// README is current, as does this package's test.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"reflect"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	appv1alpha1 "github.com/theforeman/foreman-operator/pkg/apis/app/v1alpha1"
)

// The markers around the generated reference in the README.
const (
	beginMarker = "<!-- BEGIN FOREMAN SPEC REFERENCE -->"
	endMarker   = "<!-- END FOREMAN SPEC REFERENCE -->"
)

// sources are the files the reference is made of, as the README names them.
type sources struct {
	CRD    string // the generated CRD
	Sample string // the design's example CR
}

// defaultSources are relative to the repository's root, where make runs.
var defaultSources = sources{
	CRD:    "config/crd/bases/app.theforeman.org_foremen.yaml",
	Sample: "config/samples/app_v1alpha1_foreman.yaml",
}

func main() {
	src := defaultSources
	flag.StringVar(&src.CRD, "crd", src.CRD, "the generated Foreman CRD")
	flag.StringVar(&src.Sample, "sample", src.Sample, "the example CR shown in the reference")
	readme := flag.String("readme", "README.md", "the README with the reference markers")
	out := flag.String("out", "", "write the updated README here instead of over -readme")
	flag.Parse()
	if *out == "" {
		*out = *readme
	}
	if err := run(src, *readme, *out); err != nil {
		fmt.Fprintf(os.Stderr, "gendocs: %v\n", err)
		os.Exit(1)
	}
}

func run(src sources, readmePath, outPath string) error {
	updated, err := updatedReadme(src, readmePath)
	if err != nil {
		return err
	}
	if old, err := os.ReadFile(outPath); err == nil && bytes.Equal(old, updated) {
		return nil // leave the file's modification time alone
	}
	return os.WriteFile(outPath, updated, 0o644)
}

// updatedReadme returns the README at readmePath with a freshly rendered
// reference between its markers.
func updatedReadme(src sources, readmePath string) ([]byte, error) {
	crdYAML, err := os.ReadFile(src.CRD)
	if err != nil {
		return nil, err
	}
	sample, err := os.ReadFile(src.Sample)
	if err != nil {
		return nil, err
	}
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		return nil, err
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(crdYAML, &crd); err != nil {
		return nil, fmt.Errorf("parse %s: %w", src.CRD, err)
	}
	ref, err := reference(&crd, src, sample, reflect.TypeFor[appv1alpha1.ForemanSpec]())
	if err != nil {
		return nil, fmt.Errorf("render the reference from %s: %w", src.CRD, err)
	}
	updated, err := splice(readme, ref)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", readmePath, err)
	}
	return updated, nil
}

// splice replaces what lies between the markers in readme by ref.
func splice(readme []byte, ref string) ([]byte, error) {
	begin := bytes.Index(readme, []byte(beginMarker))
	end := bytes.Index(readme, []byte(endMarker))
	switch {
	case begin < 0 || end < 0:
		return nil, fmt.Errorf("the markers %s and %s must both be there", beginMarker, endMarker)
	case bytes.Count(readme, []byte(beginMarker)) > 1 || bytes.Count(readme, []byte(endMarker)) > 1:
		return nil, fmt.Errorf("the markers %s and %s must be there once each", beginMarker, endMarker)
	case end < begin:
		return nil, fmt.Errorf("%s comes before %s", endMarker, beginMarker)
	}
	var b bytes.Buffer
	b.Write(readme[:begin+len(beginMarker)])
	b.WriteString("\n")
	b.WriteString(ref)
	b.Write(readme[end:])
	return b.Bytes(), nil
}
