{{- define "gsl.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "gsl.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "gsl.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository .Values.image.tag -}}
{{- end -}}
{{- end -}}

{{/* The Secret and key that hold GSL_REDIS_URL. */}}
{{- define "gsl.redisSecretName" -}}
{{- if and (not .Values.redis.enabled) .Values.externalRedis.existingSecret -}}
{{- .Values.externalRedis.existingSecret -}}
{{- else -}}
{{- printf "%s-redis-url" (include "gsl.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "gsl.redisSecretKey" -}}
{{- if and (not .Values.redis.enabled) .Values.externalRedis.existingSecret -}}
{{- .Values.externalRedis.secretKey -}}
{{- else -}}
redis-url
{{- end -}}
{{- end -}}

{{- define "gsl.workerGrace" -}}
{{- $timeout := int .Values.config.jobTimeoutS -}}
{{- $grace := .Values.worker.terminationGracePeriodSeconds -}}
{{- if kindIs "invalid" $grace -}}
{{- add $timeout 30 -}}
{{- else if lt (int $grace) $timeout -}}
{{- fail (printf "worker.terminationGracePeriodSeconds (%d) must be at least config.jobTimeoutS (%d): a stopping worker finishes its job" (int $grace) $timeout) -}}
{{- else -}}
{{- int $grace -}}
{{- end -}}
{{- end -}}

{{/* Pod-level settings shared by api and worker. */}}
{{- define "gsl.podCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
automountServiceAccountToken: false
securityContext: {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end -}}

{{/* Environment of api and worker: the ConfigMap, the Redis URL and keys from Secrets. */}}
{{- define "gsl.env" -}}
envFrom:
  - configMapRef:
      name: {{ include "gsl.fullname" . }}-config
env:
  - name: GSL_REDIS_URL
    valueFrom:
      secretKeyRef:
        name: {{ include "gsl.redisSecretName" . }}
        key: {{ include "gsl.redisSecretKey" . }}
{{- if .Values.auth.enabled }}
  - name: GSL_API_KEYS_FILE
    value: /etc/gsl/keys/{{ .Values.auth.secretKey }}
{{- end }}
{{- end -}}

{{- define "gsl.volumeMounts" -}}
volumeMounts:
  - name: tmp
    mountPath: /tmp
  - name: spool
    mountPath: /var/spool/gsl
{{- if .Values.auth.enabled }}
  - name: api-keys
    mountPath: /etc/gsl/keys
    readOnly: true
{{- end }}
{{- end -}}

{{- define "gsl.volumes" -}}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: {{ .Values.tmpVolume.sizeLimit }}
  - name: spool
    emptyDir:
      sizeLimit: {{ .Values.spoolVolume.sizeLimit }}
{{- if .Values.auth.enabled }}
  - name: api-keys
    secret:
      secretName: {{ required "auth.enabled needs auth.existingSecret (a Secret of hashed keys)" .Values.auth.existingSecret }}
{{- end }}
{{- end -}}
