// Command bundle renders and validates the OLM bundle (internal/bundle):
//
//	go run ./hack/bundle render -version 0.1.0 [-image IMG] [-kubectl PATH] [-out DIR]
//	go run ./hack/bundle validate [-kubeconfig PATH] [-kubectl PATH]
//
// render writes bundle/manifests, bundle/metadata and bundle.Dockerfile from
// `kubectl kustomize config/manifests`; `make bundle` runs it. validate
// checks them, applying the bundle's CRDs to the cluster of -kubeconfig (or
// $KUBECONFIG) to dry-run alm-examples; `make bundle-validate` runs it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/theforeman/foreman-operator/internal/bundle"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bundle:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: bundle render|validate [flags]")
	}
	fs := flag.NewFlagSet("bundle "+args[0], flag.ContinueOnError)
	root := fs.String("root", ".", "the repository")
	kubectl := fs.String("kubectl", "kubectl", "kubectl, for its kustomize")
	switch args[0] {
	case "render":
		version := fs.String("version", "", "the bundle's version, x.y.z")
		image := fs.String("image", "", "the operator image; default config/manager's")
		channels := fs.String("channels", "alpha", "comma-separated channels")
		defaultChannel := fs.String("default-channel", "alpha", "the default channel")
		out := fs.String("out", "", "where to write bundle/ and bundle.Dockerfile; default -root")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *out == "" {
			*out = *root
		}
		return render(*root, *out, *kubectl, bundle.Options{Version: *version, Image: *image,
			Channels: strings.Split(*channels, ","), DefaultChannel: *defaultChannel})
	case "validate":
		kubeconfig := fs.String("kubeconfig", os.Getenv("KUBECONFIG"), "the cluster that dry-runs alm-examples")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return validate(*root, *kubectl, *kubeconfig)
	}
	return fmt.Errorf("unknown command %q: want render or validate", args[0])
}

func render(root, out, kubectl string, o bundle.Options) error {
	objs, err := bundle.Kustomize(kubectl, filepath.Join(root, "config", "manifests"))
	if err != nil {
		return err
	}
	if o.Icon, err = os.ReadFile(filepath.Join(root, "config", "manifests", "icon.svg")); err != nil {
		return err
	}
	files, err := bundle.Render(objs, o)
	if err != nil {
		return err
	}
	// Nothing stale stays behind: the bundle is exactly what was rendered.
	for _, dir := range []string{bundle.ManifestsDir, bundle.MetadataDir} {
		if err := os.RemoveAll(filepath.Join(out, dir)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	for path, data := range files {
		full := filepath.Join(out, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, data, 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("bundle: rendered %s.v%s into %s\n", bundle.Package, o.Version, filepath.Join(out, "bundle"))
	return nil
}

func validate(root, kubectl, kubeconfig string) error {
	o := bundle.ValidateOptions{Root: root, Kubectl: kubectl}
	if kubeconfig == "" {
		return errors.New("no -kubeconfig or KUBECONFIG: alm-examples are dry-run on a cluster (make cluster-up)")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	o.Config = cfg
	problems, err := bundle.Validate(context.Background(), o)
	if err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintln(os.Stderr, "bundle-validate:", p)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%d problems in the bundle", len(problems))
	}
	fmt.Println("bundle-validate: the bundle is valid: required CSV fields, owned CRDs and descriptors, CRDs equal to config/crd," +
		" alm-examples accepted by the API server, permissions equal to config/rbac, related images equal to the roles'")
	return nil
}
