package bundle

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"
)

// relatedImageLookup finds a role reading RELATED_IMAGE_<NAME>, the
// variable OLM and disconnected installs override an image with.
var relatedImageLookup = regexp.MustCompile(`lookup\(\s*['"](?:ansible\.builtin\.)?env['"]\s*,\s*['"](RELATED_IMAGE_[A-Z0-9_]+)['"]`)

// RoleImages maps each RELATED_IMAGE_<NAME> the roles under root/roles read
// to the image the role deploys without it: in the role's defaults,
// <role>_<name>_image, or <role>_image_repository:<role>_version when
// <name> is the role's own or the one name without an image of its own
// (its main image, tagged with its version), or
// <role>_<name>_image_repository tagged <role>_stream_tag_prefix and the
// version (an image that follows the role's release stream).
func RoleImages(root string) (map[string]string, error) {
	dirs, err := filepath.Glob(filepath.Join(root, "roles", "*"))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	var errs []error
	for _, dir := range dirs {
		role := filepath.Base(dir)
		names, err := relatedImageNames(dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(names) == 0 {
			continue
		}
		defaults, err := roleDefaults(dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		// A name without an image of its own in the defaults is the role's
		// main image, <role>_image_repository:<role>_version, when it is
		// the only such name (RELATED_IMAGE_FOREMAN_PROXY of smartproxy).
		var unnamed []string
		for _, env := range names {
			name := strings.ToLower(strings.TrimPrefix(env, relatedImagePrefix))
			if _, ok := defaults[role+"_"+name+"_image"]; !ok {
				unnamed = append(unnamed, env)
			}
		}
		for _, env := range names {
			name := strings.ToLower(strings.TrimPrefix(env, relatedImagePrefix))
			image, ok := defaults[role+"_"+name+"_image"].(string)
			if !ok && (name == role || len(unnamed) == 1 && unnamed[0] == env) {
				repo, okRepo := defaults[role+"_image_repository"].(string)
				version := fmt.Sprint(defaults[role+"_version"])
				if okRepo && defaults[role+"_version"] != nil {
					image, ok = repo+":"+version, true
				}
			}
			if repo, okRepo := defaults[role+"_"+name+"_image_repository"].(string); !ok && okRepo && defaults[role+"_version"] != nil {
				// A stream image: <role>_<name>_image_repository tagged
				// <role>_stream_tag_prefix and the version (candlepin:foreman-3.16).
				prefix, _ := defaults[role+"_stream_tag_prefix"].(string)
				image, ok = repo+":"+prefix+fmt.Sprint(defaults[role+"_version"]), true
			}
			if !ok || strings.Contains(image, "{{") {
				errs = append(errs, fmt.Errorf("roles/%s reads %s, but its defaults have no literal %s_%s_image (or, for its one main image, %s_image_repository and %s_version)",
					role, env, role, name, role, role))
				continue
			}
			if prev, dup := out[env]; dup && prev != image {
				errs = append(errs, fmt.Errorf("%s: roles default it to both %s and %s", env, prev, image))
			}
			out[env] = image
		}
	}
	return out, errors.Join(errs...)
}

// relatedImageNames lists the RELATED_IMAGE_* variables a role's tasks and
// templates read.
func relatedImageNames(dir string) ([]string, error) {
	seen := map[string]bool{}
	var names []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !strings.HasSuffix(path, ".yml") && !strings.HasSuffix(path, ".yaml") && !strings.HasSuffix(path, ".j2") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range relatedImageLookup.FindAllStringSubmatch(string(data), -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				names = append(names, m[1])
			}
		}
		return nil
	})
	return names, err
}

func roleDefaults(dir string) (map[string]any, error) {
	data, err := os.ReadFile(filepath.Join(dir, "defaults", "main.yml"))
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s/defaults/main.yml: %w", dir, err)
	}
	return m, nil
}
