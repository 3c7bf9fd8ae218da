package com.example;

import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.StackProps;

/** bin/app.ts in Java: the same stack id, account and region (context from CDK_CONTEXT_JSON, as cdk synth passes it). */
public final class ExampleApp {
    private ExampleApp() {
    }

    public static App build(final AppProps props) {
        App app = new App(props);
        new ExampleStack(app, "ConnectionSharingExample", StackProps.builder()
                .env(Environment.builder()
                        .account(contextOr(app, "account", "123456789012"))
                        .region(contextOr(app, "region", "eu-west-1"))
                        .build())
                .build());
        return app;
    }

    private static String contextOr(final App app, final String key, final String fallback) {
        Object value = app.getNode().tryGetContext(key);
        return value instanceof String s && !s.isEmpty() ? s : fallback;
    }

    public static void main(final String[] args) {
        build(AppProps.builder().build()).synth();
    }
}
