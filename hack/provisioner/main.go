// Command provisioner is the local test cluster's stand-in for a CSI driver: a
// declared fake. CSI drivers run in containers, which the cluster of
// hack/cluster does not have; without a provisioner a PersistentVolumeClaim
// stays Pending and a StatefulSet's pods are never scheduled.
//
// For every pending claim of a StorageClass whose provisioner is
// foreman-operator.local/hostpath (hack/cluster/up.sh creates "local", the
// default class), it creates a hostPath PersistentVolume, with a directory
// under --volume-dir, pre-bound to the claim; the controller-manager's
// PersistentVolume controller binds the two, as it does for a real driver. A
// Released volume with the Delete policy is deleted with its directory. A
// bound claim that asks for more gets it at once: nothing on disk has a size,
// and kwok, which plays the kubelet, mounts nothing.
//
// It is not a general provisioner: no capacity, no data sources, no finalizer
// guarding a volume deleted by hand. It is started by hack/cluster/up.sh with
// the admin kubeconfig.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

const (
	provisionerName  = "foreman-operator.local/hostpath"
	annProvisionedBy = "pv.kubernetes.io/provisioned-by"
	annSelectedNode  = "volume.kubernetes.io/selected-node"
	annDefaultClass  = "storageclass.kubernetes.io/is-default-class"
)

func main() {
	klog.InitFlags(nil)
	volumeDir := flag.String("volume-dir", "", "directory that holds one directory per volume (required)")
	flag.Parse()
	if err := run(ctrl.SetupSignalHandler(), *volumeDir); err != nil {
		klog.ErrorS(err, "Provisioner failed")
		os.Exit(1)
	}
}

func run(ctx context.Context, volumeDir string) error {
	if volumeDir == "" {
		return fmt.Errorf("--volume-dir is required")
	}
	dir, err := filepath.Abs(volumeDir)
	if err != nil {
		return fmt.Errorf("--volume-dir: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ctrl.SetLogger(klog.NewKlogr())
	cfg, err := ctrl.GetConfig() // --kubeconfig or KUBECONFIG
	if err != nil {
		return err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{Metrics: metricsserver.Options{BindAddress: "0"}})
	if err != nil {
		return fmt.Errorf("create the manager: %w", err)
	}
	p := &provisioner{Client: mgr.GetClient(), dir: dir}
	if err := ctrl.NewControllerManagedBy(mgr).For(&corev1.PersistentVolumeClaim{}).Complete((*claims)(p)); err != nil {
		return err
	}
	if err := ctrl.NewControllerManagedBy(mgr).For(&corev1.PersistentVolume{}).Complete((*volumes)(p)); err != nil {
		return err
	}
	klog.InfoS("Starting the hostpath provisioner", "provisioner", provisionerName, "volumeDir", dir)
	return mgr.Start(ctx)
}

type provisioner struct {
	client.Client
	dir string // each volume's directory is dir/<volume name>
}

// claims provisions a volume for a pending claim, and grows the volume of a
// bound claim that asks for more.
type claims provisioner

func (r *claims) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	pvc := &corev1.PersistentVolumeClaim{}
	if err := r.Get(ctx, req.NamespacedName, pvc); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	switch {
	case pvc.DeletionTimestamp != nil:
		return ctrl.Result{}, nil
	case pvc.Spec.VolumeName != "":
		return ctrl.Result{}, r.expand(ctx, pvc)
	case pvc.Status.Phase != corev1.ClaimPending && pvc.Status.Phase != "",
		pvc.Spec.Selector != nil: // the PersistentVolume controller does not provision these either
		return ctrl.Result{}, nil
	}
	class, err := r.classOf(ctx, pvc)
	if err != nil || class == nil {
		return ctrl.Result{}, err
	}
	if ptr.Deref(class.VolumeBindingMode, storagev1.VolumeBindingImmediate) == storagev1.VolumeBindingWaitForFirstConsumer &&
		pvc.Annotations[annSelectedNode] == "" {
		return ctrl.Result{}, nil // the scheduler sets the annotation once a pod needs the claim
	}
	pv := volumeFor(pvc, class, r.dir)
	if err := os.MkdirAll(pv.Spec.HostPath.Path, 0o777); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.Create(ctx, pv); apierrors.IsAlreadyExists(err) {
		return ctrl.Result{}, nil // provisioned before; the PersistentVolume controller has yet to bind it
	} else if err != nil {
		return ctrl.Result{}, fmt.Errorf("create volume %s for claim %s: %w", pv.Name, klog.KObj(pvc), err)
	}
	klog.InfoS("Provisioned a volume", "persistentVolumeClaim", klog.KObj(pvc), "persistentVolume", klog.KObj(pv),
		"storageClass", class.Name, "size", pvc.Spec.Resources.Requests.Storage(), "accessModes", pv.Spec.AccessModes,
		"path", pv.Spec.HostPath.Path)
	return ctrl.Result{}, nil
}

// classOf returns the claim's StorageClass if this provisioner serves it. A
// claim without storageClassName gets the default class; an explicit "" means
// "no class" and binds only to volumes made by hand.
func (r *claims) classOf(ctx context.Context, pvc *corev1.PersistentVolumeClaim) (*storagev1.StorageClass, error) {
	var class *storagev1.StorageClass
	if name := pvc.Spec.StorageClassName; name != nil {
		if *name == "" {
			return nil, nil
		}
		class = &storagev1.StorageClass{}
		if err := r.Get(ctx, client.ObjectKey{Name: *name}, class); err != nil {
			return nil, client.IgnoreNotFound(err)
		}
	} else {
		var list storagev1.StorageClassList
		if err := r.List(ctx, &list); err != nil {
			return nil, err
		}
		for i := range list.Items { // with several defaults, the newest wins, as in Kubernetes
			c := &list.Items[i]
			if c.Annotations[annDefaultClass] == "true" && (class == nil || class.CreationTimestamp.Before(&c.CreationTimestamp)) {
				class = c
			}
		}
	}
	if class == nil || class.Provisioner != provisionerName {
		return nil, nil
	}
	return class, nil
}

// volumeFor returns the volume for a claim: its size and access modes, its
// class's reclaim policy, pre-bound to it, and on the node the scheduler
// picked if the class waits for a consumer.
func volumeFor(pvc *corev1.PersistentVolumeClaim, class *storagev1.StorageClass, dir string) *corev1.PersistentVolume {
	name := "pvc-" + string(pvc.UID)
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{annProvisionedBy: provisionerName}},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:    corev1.ResourceList{corev1.ResourceStorage: *pvc.Spec.Resources.Requests.Storage()},
			AccessModes: pvc.Spec.AccessModes,
			VolumeMode:  pvc.Spec.VolumeMode,
			ClaimRef: &corev1.ObjectReference{APIVersion: "v1", Kind: "PersistentVolumeClaim",
				Namespace: pvc.Namespace, Name: pvc.Name, UID: pvc.UID},
			PersistentVolumeReclaimPolicy: ptr.Deref(class.ReclaimPolicy, corev1.PersistentVolumeReclaimDelete),
			StorageClassName:              class.Name,
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{
				Path: filepath.Join(dir, name), Type: ptr.To(corev1.HostPathDirectoryOrCreate),
			}},
		},
	}
	if node := pvc.Annotations[annSelectedNode]; node != "" {
		pv.Spec.NodeAffinity = &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{
				Key: corev1.LabelHostname, Operator: corev1.NodeSelectorOpIn, Values: []string{node},
			}}}},
		}}
	}
	return pv
}

// expand plays both the external resizer and the kubelet: once the claim is
// Bound, the volume and then the claim's status take the requested size. The
// API server has already checked that the class allows expansion.
func (r *claims) expand(ctx context.Context, pvc *corev1.PersistentVolumeClaim) error {
	want := *pvc.Spec.Resources.Requests.Storage()
	if pvc.Status.Phase != corev1.ClaimBound || want.Cmp(*pvc.Status.Capacity.Storage()) <= 0 {
		return nil
	}
	pv := &corev1.PersistentVolume{}
	if err := r.Get(ctx, client.ObjectKey{Name: pvc.Spec.VolumeName}, pv); err != nil {
		return client.IgnoreNotFound(err)
	}
	if pv.Annotations[annProvisionedBy] != provisionerName || pv.Spec.ClaimRef == nil || pv.Spec.ClaimRef.UID != pvc.UID {
		return nil
	}
	if pv.Spec.Capacity.Storage().Cmp(want) < 0 {
		patch := client.MergeFrom(pv.DeepCopy())
		pv.Spec.Capacity[corev1.ResourceStorage] = want
		if err := r.Patch(ctx, pv, patch); err != nil {
			return fmt.Errorf("expand volume %s: %w", pv.Name, err)
		}
	}
	patch := client.MergeFrom(pvc.DeepCopy())
	pvc.Status.Capacity = setStorage(pvc.Status.Capacity, want)
	pvc.Status.AllocatedResources = setStorage(pvc.Status.AllocatedResources, want)
	if err := r.Status().Patch(ctx, pvc, patch); err != nil {
		return fmt.Errorf("record the new size of claim %s: %w", klog.KObj(pvc), err)
	}
	klog.InfoS("Expanded a volume", "persistentVolumeClaim", klog.KObj(pvc), "persistentVolume", klog.KObj(pv), "size", &want)
	return nil
}

func setStorage(l corev1.ResourceList, q resource.Quantity) corev1.ResourceList {
	if l == nil {
		l = corev1.ResourceList{}
	}
	l[corev1.ResourceStorage] = q
	return l
}

// volumes deletes this provisioner's Released volumes whose policy is Delete,
// directory first.
type volumes provisioner

func (r *volumes) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	pv := &corev1.PersistentVolume{}
	if err := r.Get(ctx, req.NamespacedName, pv); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if pv.Annotations[annProvisionedBy] != provisionerName || pv.DeletionTimestamp != nil ||
		pv.Status.Phase != corev1.VolumeReleased || pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete {
		return ctrl.Result{}, nil
	}
	if hp := pv.Spec.HostPath; hp != nil && filepath.Dir(hp.Path) == r.dir { // never outside --volume-dir
		if err := os.RemoveAll(hp.Path); err != nil {
			return ctrl.Result{}, err
		}
	}
	if err := r.Delete(ctx, pv, client.Preconditions{UID: &pv.UID}); client.IgnoreNotFound(err) != nil {
		return ctrl.Result{}, fmt.Errorf("delete volume %s: %w", pv.Name, err)
	}
	claim := ""
	if pv.Spec.ClaimRef != nil {
		claim = pv.Spec.ClaimRef.Namespace + "/" + pv.Spec.ClaimRef.Name
	}
	klog.InfoS("Deleted a released volume", "persistentVolume", klog.KObj(pv), "persistentVolumeClaim", claim)
	return ctrl.Result{}, nil
}
