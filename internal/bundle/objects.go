package bundle

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Objects are Kubernetes objects in the order they were read.
type Objects []*unstructured.Unstructured

// ParseObjects reads a multi-document YAML stream; empty documents are skipped.
func ParseObjects(data []byte) (Objects, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var out Objects
	for {
		doc, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(doc, &u.Object); err != nil {
			return nil, err
		}
		if len(u.Object) == 0 {
			continue
		}
		out = append(out, u)
	}
}

// Kind returns the objects of one kind.
func (objs Objects) Kind(kind string) Objects {
	var out Objects
	for _, o := range objs {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

// Kustomize renders a kustomization directory with kubectl's kustomize.
func Kustomize(kubectl, dir string) (Objects, error) {
	cmd := exec.Command(kubectl, "kustomize", dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s kustomize %s: %v: %s", kubectl, dir, err, strings.TrimSpace(stderr.String()))
	}
	return ParseObjects(out)
}

// readObjects reads every YAML file of dir.
func readObjects(dir string) (map[string]Objects, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	out := map[string]Objects{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		objs, err := ParseObjects(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		out[filepath.Base(f)] = objs
	}
	return out, nil
}
