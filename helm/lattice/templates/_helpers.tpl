{{- define "lattice.name" -}}{{ .Release.Name }}-lattice{{- end -}}
{{- define "lattice.labels" -}}
app.kubernetes.io/name: lattice
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}
{{- define "lattice.selector" -}}
app.kubernetes.io/name: lattice
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .role }}
{{- end -}}

{{- /* Roles that answer the public HTTP API (room-server only answers health and metrics). */ -}}
{{- define "lattice.publicRoles" -}}client-api sync federation-api media{{- end -}}

{{- /* The chart's own Secret, holding every secret given as {value: ...}. */ -}}
{{- define "lattice.secretName" -}}{{ include "lattice.name" . }}-secrets{{- end -}}

{{- /*
  An env entry for a secret setting: {value} reads the chart's Secret (key = the setting's name),
  {secretName, key} reads an existing Secret. Nothing when the setting is empty.
  Call with (dict "root" $ "env" "LATTICE_X" "name" "settingName" "spec" .Values.x)
*/ -}}
{{- define "lattice.secretEnv" -}}
{{- $spec := .spec | default dict -}}
{{- if $spec.secretName }}
- name: {{ .env }}
  valueFrom: { secretKeyRef: { name: {{ $spec.secretName | quote }}, key: {{ required (printf "%s.key is required with secretName" .name) $spec.key | quote }} } }
{{- else if $spec.value }}
- name: {{ .env }}
  valueFrom: { secretKeyRef: { name: {{ include "lattice.secretName" .root | quote }}, key: {{ .name | quote }} } }
{{- end }}
{{- end -}}

{{- /* Every host name of a tenant that serves the APIs: its publicBaseUrl host and its hostnames. */ -}}
{{- define "lattice.apiHosts" -}}
{{- $hosts := list -}}
{{- range .Values.tenants -}}
{{- if .publicBaseUrl }}{{ $hosts = append $hosts (urlParse .publicBaseUrl).hostname }}{{ end -}}
{{- range (.hostnames | default list) }}{{ $hosts = append $hosts . }}{{ end -}}
{{- end -}}
{{- range .Values.ingress.extraHosts }}{{ $hosts = append $hosts . }}{{ end -}}
{{- toJson ($hosts | uniq) -}}
{{- end -}}
