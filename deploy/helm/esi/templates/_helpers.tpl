{{- define "esi.fullname" -}}
{{- if contains "esi" .Release.Name -}}{{ .Release.Name | trunc 50 | trimSuffix "-" }}{{- else -}}{{ printf "%s-esi" .Release.Name | trunc 50 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "esi.labels" -}}
app.kubernetes.io/name: esi
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "esi.selectorLabels" -}}
app.kubernetes.io/name: esi
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: webhook
{{- end -}}

{{- define "esi.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "esi.tlsSecret" -}}
{{ .Values.tls.secretName | default (printf "%s-tls" (include "esi.fullname" .)) }}
{{- end -}}
