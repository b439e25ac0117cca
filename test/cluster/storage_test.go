package cluster_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/theforeman/foreman-operator/internal/testcluster"
)

// The local cluster's default StorageClass "local" is served by
// hack/provisioner, a stand-in for a CSI driver: hostPath volumes in the
// cluster's state directory, on this host.
const provisionedBy = "foreman-operator.local/hostpath"

func claim(name string, mode corev1.PersistentVolumeAccessMode, size string) corev1.PersistentVolumeClaim {
	return corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{mode},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)}},
		},
	}
}

// createBound creates the claim in ns, waits until it is Bound and returns its volume.
func createBound(t *testing.T, c client.Client, ns string, pvc *corev1.PersistentVolumeClaim) *corev1.PersistentVolume {
	t.Helper()
	pvc.Namespace = ns
	if err := c.Create(context.Background(), pvc); err != nil {
		t.Fatal(err)
	}
	waitBound(t, c, pvc)
	pv := &corev1.PersistentVolume{}
	if err := c.Get(context.Background(), client.ObjectKey{Name: pvc.Spec.VolumeName}, pv); err != nil {
		t.Fatal(err)
	}
	return pv
}

func waitBound(t *testing.T, c client.Client, pvc *corev1.PersistentVolumeClaim) {
	t.Helper()
	testcluster.Eventually(t, 30*time.Second, "claim "+pvc.Name+" Bound", func(ctx context.Context) (bool, error) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(pvc), pvc); err != nil {
			return false, err
		}
		return pvc.Status.Phase == corev1.ClaimBound, fmt.Errorf("phase %q", pvc.Status.Phase)
	})
}

func TestStorage(t *testing.T) {
	cfg := testcluster.Config(t)
	c := testcluster.Client(t, cfg)

	t.Run("a ReadWriteOnce claim of 1Gi without a class gets a volume of the default class", func(t *testing.T) {
		t.Parallel()
		ns := testcluster.Namespace(t, c, nil)
		pvc := claim("data", corev1.ReadWriteOnce, "1Gi")
		pv := createBound(t, c, ns, &pvc)

		if got := ptr.Deref(pvc.Spec.StorageClassName, ""); got != "local" {
			t.Errorf("claim's class: got %q, want the default, local", got)
		}
		if got := pvc.Status.Capacity.Storage().String(); got != "1Gi" {
			t.Errorf("claim's capacity: got %s, want 1Gi", got)
		}
		if got := pv.Annotations["pv.kubernetes.io/provisioned-by"]; got != provisionedBy {
			t.Errorf("volume's provisioned-by: got %q, want %q", got, provisionedBy)
		}
		if pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete {
			t.Errorf("volume's reclaim policy: got %s, want Delete", pv.Spec.PersistentVolumeReclaimPolicy)
		}
		if pv.Spec.HostPath == nil {
			t.Fatalf("volume %s is not a hostPath volume: %+v", pv.Name, pv.Spec.PersistentVolumeSource)
		}
		if fi, err := os.Stat(pv.Spec.HostPath.Path); err != nil || !fi.IsDir() {
			t.Errorf("volume's directory %s: %v", pv.Spec.HostPath.Path, err)
		}
	})

	t.Run("ReadWriteMany and ReadOnlyMany claims are bound", func(t *testing.T) {
		t.Parallel()
		ns := testcluster.Namespace(t, c, nil)
		for name, mode := range map[string]corev1.PersistentVolumeAccessMode{"rwx": corev1.ReadWriteMany, "rox": corev1.ReadOnlyMany} {
			pvc := claim(name, mode, "5Gi")
			pv := createBound(t, c, ns, &pvc)
			if len(pv.Spec.AccessModes) != 1 || pv.Spec.AccessModes[0] != mode {
				t.Errorf("volume's access modes: got %v, want [%s]", pv.Spec.AccessModes, mode)
			}
		}
	})

	t.Run("a StatefulSet with a volumeClaimTemplate gets its pod Ready", func(t *testing.T) {
		t.Parallel()
		ns := testcluster.Namespace(t, c, nil)
		labels := map[string]string{"app": "postgresql"}
		spec := podSpec()
		spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/var/lib/pgsql/data"}}
		sts := &appsv1.StatefulSet{
			ObjectMeta: metav1.ObjectMeta{Name: "postgresql", Namespace: ns},
			Spec: appsv1.StatefulSetSpec{
				Replicas:             ptr.To[int32](1),
				ServiceName:          "postgresql",
				Selector:             &metav1.LabelSelector{MatchLabels: labels},
				Template:             corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec},
				VolumeClaimTemplates: []corev1.PersistentVolumeClaim{claim("data", corev1.ReadWriteOnce, "1Gi")},
			},
		}
		if err := c.Create(context.Background(), sts); err != nil {
			t.Fatal(err)
		}
		testcluster.Eventually(t, 60*time.Second, "StatefulSet with 1 ready replica", func(ctx context.Context) (bool, error) {
			if err := c.Get(ctx, client.ObjectKeyFromObject(sts), sts); err != nil {
				return false, err
			}
			return sts.Status.ReadyReplicas == 1, fmt.Errorf("ready replicas %d", sts.Status.ReadyReplicas)
		})
		pvc := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "data-postgresql-0", Namespace: ns}}
		waitBound(t, c, pvc)
	})

	t.Run("deleting a claim deletes its volume and the volume's directory", func(t *testing.T) {
		t.Parallel()
		ns := testcluster.Namespace(t, c, nil)
		pvc := claim("scratch", corev1.ReadWriteOnce, "1Gi")
		pv := createBound(t, c, ns, &pvc)
		if err := c.Delete(context.Background(), &pvc); err != nil {
			t.Fatal(err)
		}
		testcluster.Eventually(t, 30*time.Second, "volume "+pv.Name+" gone", func(ctx context.Context) (bool, error) {
			err := c.Get(ctx, client.ObjectKeyFromObject(pv), pv)
			return apierrors.IsNotFound(err), fmt.Errorf("phase %q, err %v", pv.Status.Phase, err)
		})
		if _, err := os.Stat(pv.Spec.HostPath.Path); !os.IsNotExist(err) {
			t.Errorf("volume's directory %s: want it removed, got %v", pv.Spec.HostPath.Path, err)
		}
	})

	t.Run("a bound claim that asks for more gets it", func(t *testing.T) {
		t.Parallel()
		ns := testcluster.Namespace(t, c, nil)
		pvc := claim("growing", corev1.ReadWriteOnce, "1Gi")
		pv := createBound(t, c, ns, &pvc)
		patch := client.MergeFrom(pvc.DeepCopy())
		pvc.Spec.Resources.Requests[corev1.ResourceStorage] = resource.MustParse("2Gi")
		if err := c.Patch(context.Background(), &pvc, patch); err != nil {
			t.Fatal(err)
		}
		testcluster.Eventually(t, 30*time.Second, "claim and volume of 2Gi", func(ctx context.Context) (bool, error) {
			if err := c.Get(ctx, client.ObjectKeyFromObject(&pvc), &pvc); err != nil {
				return false, err
			}
			if err := c.Get(ctx, client.ObjectKeyFromObject(pv), pv); err != nil {
				return false, err
			}
			claimSize, volumeSize := pvc.Status.Capacity.Storage().String(), pv.Spec.Capacity.Storage().String()
			return claimSize == "2Gi" && volumeSize == "2Gi", fmt.Errorf("claim %s, volume %s", claimSize, volumeSize)
		})
	})
}
