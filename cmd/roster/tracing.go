// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// tracesPath is where an OTLP/HTTP receiver takes traces (the OpenTelemetry
// Collector's default), added to an --otel-endpoint without a path.
const tracesPath = "/v1/traces"

// otelURL checks --otel-endpoint and returns the URL traces are sent to:
// http or https with a host, and tracesPath when it names no path.
func otelURL(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("--otel-endpoint %q must be an http:// or https:// URL of an OTLP/HTTP receiver without credentials or query, e.g. http://127.0.0.1:4318 (traces go to %s there; set OTEL_EXPORTER_OTLP_HEADERS for authentication)", endpoint, tracesPath)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = tracesPath
	}
	return u.String(), nil
}

// startTracing returns a tracer provider that batches spans to the OTLP
// receiver at c.OTelEndpoint, or nil when it is not set: tracing is off,
// and nothing is started. The OTEL_* variables of the SDK still apply
// (OTEL_EXPORTER_OTLP_HEADERS, OTEL_TRACES_SAMPLER, OTEL_SERVICE_NAME,
// OTEL_RESOURCE_ATTRIBUTES). Export failures (a receiver down) are
// logged as warnings.
func startTracing(ctx context.Context, c Config, log *slog.Logger) (*sdktrace.TracerProvider, error) {
	if c.OTelEndpoint == "" {
		return nil, nil
	}
	// The SDK's own handler prints unstructured lines to stderr.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Warn("tracing", "error", err) }))
	endpoint, err := otelURL(c.OTelEndpoint)
	if err != nil {
		return nil, err
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint))
	if err != nil {
		return nil, fmt.Errorf("the OTLP trace exporter: %w", err)
	}
	// The variables come after Roster's own attributes, so that
	// OTEL_SERVICE_NAME wins.
	res, err := resource.New(ctx, resource.WithAttributes(attribute.String("service.name", "roster"), attribute.String("service.version", version)),
		resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		return nil, fmt.Errorf("the trace resource (OTEL_RESOURCE_ATTRIBUTES?): %w", err)
	}
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)), nil
}
