package proxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"
)

// How an object records its owner, as reported in Write.OwnedBy.
const (
	OwnedByOwnerRef   = "ownerRef"
	OwnedByAnnotation = "annotation"
)

// The annotations that record a namespaced owner on a cluster-scoped object or
// on an object in another namespace, in upstream's (operator-lib's) format.
const (
	PrimaryResourceAnnotation     = "operator-sdk/primary-resource"
	PrimaryResourceTypeAnnotation = "operator-sdk/primary-resource-type"
)

// errNotObject is returned for a body that is not a JSON object.
var errNotObject = errors.New("body is not a JSON object")

// marker is how one object records the owner: an owner reference, or the
// annotations.
type marker struct {
	by  string                // OwnedByOwnerRef or OwnedByAnnotation
	ref metav1.OwnerReference // when by is OwnedByOwnerRef
}

// newMarker is the marker for a new object of a resource that is namespaced
// or not, in namespace.
func newMarker(owner Owner, namespaced bool, namespace string) marker {
	if owner.Namespace == "" || (namespaced && namespace == owner.Namespace) {
		return marker{by: OwnedByOwnerRef, ref: metav1.OwnerReference{
			APIVersion:         owner.APIVersion,
			Kind:               owner.Kind,
			Name:               owner.Name,
			UID:                owner.UID,
			Controller:         ptr.To(true),
			BlockOwnerDeletion: ptr.To(true),
		}}
	}
	return marker{by: OwnedByAnnotation}
}

// edit says what apply did.
type edit struct {
	changed bool
	// otherController is "<kind>/<name>" of an owner reference that already
	// was the object's controller, so ours was added without controller.
	otherController string
	// otherPrimary is an operator-sdk/primary-resource annotation naming
	// another owner, which was left alone and the owner not recorded.
	otherPrimary string
}

// apply returns obj, a JSON object, with the owner recorded as m says. Owner
// references already in obj are kept byte for byte, and one with the owner's
// UID is not added again.
func (m marker) apply(obj []byte, owner Owner) ([]byte, edit, error) {
	top, meta, err := splitMetadata(obj)
	if err != nil {
		return nil, edit{}, err
	}
	var e edit
	if m.by == OwnedByOwnerRef {
		e, err = m.addRef(meta, owner)
	} else {
		e, err = addAnnotations(meta, owner)
	}
	if err != nil || !e.changed {
		return obj, e, err
	}
	out, err := joinMetadata(top, meta)
	return out, e, err
}

func (m marker) addRef(meta map[string]json.RawMessage, owner Owner) (edit, error) {
	refs, err := ownerRefs(meta)
	if err != nil {
		return edit{}, err
	}
	var e edit
	ours := m.ref
	for _, raw := range refs {
		var r metav1.OwnerReference
		if err := json.Unmarshal(raw, &r); err != nil {
			return edit{}, fmt.Errorf("decode metadata.ownerReferences: %w", err)
		}
		if r.UID == owner.UID {
			return edit{}, nil
		}
		if ptr.Deref(r.Controller, false) && ptr.Deref(ours.Controller, false) {
			ours.Controller = nil
			e.otherController = r.Kind + "/" + r.Name
		}
	}
	raw, err := json.Marshal(ours)
	if err != nil {
		return edit{}, fmt.Errorf("encode owner reference: %w", err)
	}
	if meta["ownerReferences"], err = json.Marshal(append(refs, json.RawMessage(raw))); err != nil {
		return edit{}, fmt.Errorf("encode metadata.ownerReferences: %w", err)
	}
	e.changed = true
	return e, nil
}

func addAnnotations(meta map[string]json.RawMessage, owner Owner) (edit, error) {
	ann, err := annotations(meta)
	if err != nil {
		return edit{}, err
	}
	want := primaryAnnotations(owner)
	switch ann[PrimaryResourceAnnotation] {
	case "":
	case want[PrimaryResourceAnnotation]:
		if ann[PrimaryResourceTypeAnnotation] == want[PrimaryResourceTypeAnnotation] {
			return edit{}, nil
		}
	default:
		return edit{otherPrimary: ann[PrimaryResourceAnnotation]}, nil
	}
	if ann == nil {
		ann = map[string]string{}
	}
	for k, v := range want {
		ann[k] = v
	}
	if meta["annotations"], err = json.Marshal(ann); err != nil {
		return edit{}, fmt.Errorf("encode metadata.annotations: %w", err)
	}
	return edit{changed: true}, nil
}

// patch returns a JSON merge patch that records the owner on obj, an object
// as the API server returned it, or nil when obj needs no change. Merge
// patches replace lists whole, so the patch carries all of obj's owner
// references, and obj's resourceVersion so that it fails rather than drop a
// reference written in between.
func (m marker) patch(obj []byte, owner Owner) ([]byte, edit, error) {
	out, e, err := m.apply(obj, owner)
	if err != nil || !e.changed {
		return nil, e, err
	}
	_, meta, err := splitMetadata(out)
	if err != nil {
		return nil, edit{}, err
	}
	field := "annotations"
	if m.by == OwnedByOwnerRef {
		field = "ownerReferences"
	}
	p := map[string]json.RawMessage{field: meta[field]}
	if rv, ok := meta["resourceVersion"]; ok {
		p["resourceVersion"] = rv
	}
	b, err := json.Marshal(map[string]any{"metadata": p})
	if err != nil {
		return nil, edit{}, fmt.Errorf("encode owner patch: %w", err)
	}
	return b, e, nil
}

// markerOf returns how obj, a JSON object, records owner; false when it does
// not. An owner reference is returned as obj has it.
func markerOf(obj []byte, owner Owner) (marker, bool, error) {
	_, meta, err := splitMetadata(obj)
	if err != nil {
		return marker{}, false, err
	}
	refs, err := ownerRefs(meta)
	if err != nil {
		return marker{}, false, err
	}
	for _, raw := range refs {
		var r metav1.OwnerReference
		if err := json.Unmarshal(raw, &r); err != nil {
			return marker{}, false, fmt.Errorf("decode metadata.ownerReferences: %w", err)
		}
		if r.UID == owner.UID {
			return marker{by: OwnedByOwnerRef, ref: r}, true, nil
		}
	}
	ann, err := annotations(meta)
	if err != nil {
		return marker{}, false, err
	}
	if owner.Namespace != "" && ann[PrimaryResourceAnnotation] == owner.Namespace+"/"+owner.Name &&
		ann[PrimaryResourceTypeAnnotation] == primaryType(owner) {
		return marker{by: OwnedByAnnotation}, true, nil
	}
	return marker{}, false, nil
}

func primaryAnnotations(owner Owner) map[string]string {
	return map[string]string{
		PrimaryResourceAnnotation:     owner.Namespace + "/" + owner.Name,
		PrimaryResourceTypeAnnotation: primaryType(owner),
	}
}

// primaryType is <Kind>.<group>, upstream's format, which operator-lib parses
// with schema.ParseGroupKind; the core group gives "ConfigMap.".
func primaryType(owner Owner) string {
	gk := schema.FromAPIVersionAndKind(owner.APIVersion, owner.Kind).GroupKind()
	return gk.Kind + "." + gk.Group
}

// bodyDecoders turn the request bodies the proxy can record the owner in into
// JSON, by Content-Type. An apply body stays an apply body: JSON is YAML.
var bodyDecoders = map[string]func([]byte) ([]byte, error){
	"application/json":                    toJSON,
	"application/yaml":                    toJSON,
	"application/apply-patch+yaml":        toJSON,
	"application/vnd.kubernetes.protobuf": protobufToJSON,
}

// protobufToJSON re-encodes a built-in object sent as protobuf, which Go
// clients (controller-runtime, client-go's typed clients) use for built-in
// kinds, as JSON.
func protobufToJSON(body []byte) ([]byte, error) {
	obj, gvk, err := protobuf.NewSerializer(scheme.Scheme, scheme.Scheme).Decode(body, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("decode protobuf body: %w", err)
	}
	obj.GetObjectKind().SetGroupVersionKind(*gvk)
	js, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encode %s as JSON: %w", gvk.Kind, err)
	}
	return js, nil
}

// toJSON returns a request body as JSON: JSON as it is, YAML converted.
func toJSON(body []byte) ([]byte, error) {
	if t := bytes.TrimSpace(body); len(t) > 0 && t[0] == '{' {
		return body, nil
	}
	js, err := yaml.YAMLToJSON(body)
	if err != nil {
		return nil, fmt.Errorf("convert YAML body to JSON: %w", err)
	}
	return js, nil
}

// splitMetadata decodes a JSON object's top level and its metadata, leaving
// every other field as it was written.
func splitMetadata(obj []byte) (top, meta map[string]json.RawMessage, err error) {
	if err := json.Unmarshal(obj, &top); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", errNotObject, err)
	}
	if top == nil {
		return nil, nil, errNotObject
	}
	if raw, ok := top["metadata"]; ok {
		if err := json.Unmarshal(raw, &meta); err != nil {
			return nil, nil, fmt.Errorf("decode metadata: %w", err)
		}
	}
	if meta == nil {
		meta = map[string]json.RawMessage{}
	}
	return top, meta, nil
}

func joinMetadata(top, meta map[string]json.RawMessage) ([]byte, error) {
	raw, err := json.Marshal(meta)
	if err != nil {
		return nil, fmt.Errorf("encode metadata: %w", err)
	}
	top["metadata"] = raw
	out, err := json.Marshal(top)
	if err != nil {
		return nil, fmt.Errorf("encode object: %w", err)
	}
	return out, nil
}

func ownerRefs(meta map[string]json.RawMessage) ([]json.RawMessage, error) {
	var refs []json.RawMessage
	if raw, ok := meta["ownerReferences"]; ok {
		if err := json.Unmarshal(raw, &refs); err != nil {
			return nil, fmt.Errorf("decode metadata.ownerReferences: %w", err)
		}
	}
	return refs, nil
}

func annotations(meta map[string]json.RawMessage) (map[string]string, error) {
	var ann map[string]string
	if raw, ok := meta["annotations"]; ok {
		if err := json.Unmarshal(raw, &ann); err != nil {
			return nil, fmt.Errorf("decode metadata.annotations: %w", err)
		}
	}
	return ann, nil
}

// objectMeta reads what a Write reports from a JSON object.
func objectMeta(obj []byte) (name, resourceVersion string, err error) {
	var o struct {
		Metadata struct {
			Name            string `json:"name"`
			ResourceVersion string `json:"resourceVersion"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(obj, &o); err != nil {
		return "", "", fmt.Errorf("decode object metadata: %w", err)
	}
	return o.Metadata.Name, o.Metadata.ResourceVersion, nil
}
