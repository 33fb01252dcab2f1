{{- define "esi.webhookConfiguration" -}}
{{- $root := .root -}}
{{- $fullname := include "esi.fullname" $root }}
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "esi.labels" $root | nindent 4 }}
  {{- with .injectFrom }}
  annotations:
    cert-manager.io/inject-ca-from: {{ . }}
  {{- end }}
webhooks:
  - name: inject.esi.dev
    admissionReviewVersions: ["v1"]
    sideEffects: None
    failurePolicy: {{ $root.Values.webhook.failurePolicy }}
    # esi is idempotent: re-run after later webhooks (EKS Pod Identity, IRSA) to copy their identity env.
    reinvocationPolicy: IfNeeded
    timeoutSeconds: {{ $root.Values.webhook.timeoutSeconds }}
    clientConfig:
      service:
        name: {{ $fullname }}
        namespace: {{ $root.Release.Namespace }}
        path: /mutate
        port: 443
      {{- with .caBundle }}
      caBundle: {{ . }}
      {{- end }}
    rules:
      - operations: ["CREATE"]
        apiGroups: [""]
        apiVersions: ["v1"]
        resources: ["pods"]
        scope: Namespaced
    # Only pods that opted in ever reach the webhook: an outage cannot block anything else.
    objectSelector:
      matchLabels:
        esi.dev/inject: "true"
    namespaceSelector:
      {{- with $root.Values.webhook.namespaceSelector.matchLabels }}
      matchLabels:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      matchExpressions:
        - key: kubernetes.io/metadata.name
          operator: NotIn
          values:
            - kube-system
            - {{ $root.Release.Namespace }}
            {{- range $root.Values.webhook.excludedNamespaces }}
            - {{ . }}
            {{- end }}
        {{- with $root.Values.webhook.namespaceSelector.matchExpressions }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    matchConditions:
      - name: not-a-mirror-pod
        expression: "!has(object.metadata.annotations) || !('kubernetes.io/config.mirror' in object.metadata.annotations)"
{{- end -}}
