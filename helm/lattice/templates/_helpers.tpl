{{- define "lattice.name" -}}{{ .Release.Name }}-lattice{{- end -}}
{{- define "lattice.labels" -}}
app.kubernetes.io/name: lattice
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
