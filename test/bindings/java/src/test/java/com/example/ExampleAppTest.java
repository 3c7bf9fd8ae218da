package com.example;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.cdkconnectionsharing.AccessType;
import io.github.cdkconnectionsharing.ConnectionAliasSharing;
import io.github.cdkconnectionsharing.OnDelete;
import io.github.cdkconnectionsharing.PartnerConnectionPreferences;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.Token;
import software.amazon.awscdk.assertions.Template;

/** The Java binding as a Java user meets it: same templates as the TypeScript app, and the API reads as Java. */
class ExampleAppTest {
    private static final String STACK = "ConnectionSharingExample";

    private static StackProps props() {
        return StackProps.builder().env(Environment.builder().account("123456789012").region("eu-west-1").build()).build();
    }

    @Test
    void synthesizesTheTypeScriptAppsTemplateAndAssetManifest(@TempDir final Path out) throws IOException {
        String referenceDir = System.getenv("CDK_REFERENCE_OUTDIR");
        assertNotNull(referenceDir, "CDK_REFERENCE_OUTDIR is not set: run through `npm run test:bindings`");
        Path reference = Path.of(referenceDir);
        ExampleApp.build(AppProps.builder().outdir(out.toString()).build()).synth();
        for (String name : List.of(STACK + ".template.json", STACK + ".assets.json")) {
            assertArrayEquals(Files.readAllBytes(reference.resolve(name)), Files.readAllBytes(out.resolve(name)), name + " differs from the TypeScript app's");
        }
        try (Stream<Path> assets = Files.list(reference)) {
            assets.filter(p -> p.getFileName().toString().startsWith("asset."))
                    .forEach(p -> assertTrue(Files.isDirectory(out.resolve(p.getFileName())), p.getFileName() + " missing"));
        }
    }

    @Test
    void enumMembersAreJavaEnums() {
        assertEquals(List.of("ALLOW_ALL", "DENY_ALL", "ALLOW_BY_DEFAULT_DENY_SOME"), Arrays.stream(AccessType.values()).map(Enum::name).toList());
        assertEquals(List.of("RESTORE", "RETAIN"), Arrays.stream(OnDelete.values()).map(Enum::name).toList());
        ExampleStack stack = new ExampleStack(new App(), "S", props(), AccessType.DENY_ALL);
        Template.fromStack(stack).hasResourceProperties("Custom::PartnerConnectionPreferences", Map.of("AccessType", "DENY_ALL"));
    }

    @Test
    void optionalPropsLeftOutTakeTheirDefaults() {
        Stack stack = new Stack(new App(), "S", props());
        PartnerConnectionPreferences prefs = PartnerConnectionPreferences.Builder.create(stack, "P").accessType(AccessType.ALLOW_ALL).build();
        ConnectionAliasSharing.Builder.create(stack, "A").aliasId("wsca-a1b2c3d4e5").sharedAccountIds(List.of("210987654321")).build();
        assertEquals("AWS", prefs.getCatalog());
        Template template = Template.fromStack(stack);
        template.hasResourceProperties("Custom::PartnerConnectionPreferences",
                Map.of("Catalog", "AWS", "AccessType", "ALLOW_ALL", "ExcludedParticipantIdentifiers", List.of(), "OnDelete", "RESTORE"));
        template.hasResourceProperties("Custom::ConnectionAliasSharing", Map.of("AliasId", "wsca-a1b2c3d4e5", "OnDelete", "RESTORE"));
    }

    @Test
    void isStaticMethods() {
        ExampleStack stack = new ExampleStack(new App(), "S", props());
        assertTrue(PartnerConnectionPreferences.isPartnerConnectionPreferences(stack.getPreferences()));
        assertFalse(PartnerConnectionPreferences.isPartnerConnectionPreferences(stack.getSharing()));
        assertTrue(ConnectionAliasSharing.isConnectionAliasSharing(stack.getSharing()));
        assertFalse(ConnectionAliasSharing.isConnectionAliasSharing(stack));
    }

    @Test
    void attributesAreTokensOfTheCustomResource() {
        ExampleStack stack = new ExampleStack(new App(), "S", props());
        for (String value : List.of(stack.getPreferences().getArn(), stack.getPreferences().getRevision(), stack.getPreferences().getUpdatedAt(),
                stack.getSharing().getSharedAccountIdsAttr(), stack.getSharing().getAliasId())) {
            assertTrue(Token.isUnresolved(value), value);
        }
        assertEquals("Sandbox", stack.getPreferences().getCatalog());
        assertTrue(String.valueOf(stack.resolve(stack.getPreferences().getArn())).contains("Fn::GetAtt"));
    }

    @Test
    void anInvalidPropThrowsWithTheLibrarysMessage() {
        Stack stack = new Stack(new App(), "S", props());
        RuntimeException e = assertThrows(RuntimeException.class, () -> ConnectionAliasSharing.Builder.create(stack, "A")
                .aliasId("wsca-a1b2c3d4e5").sharedAccountIds(List.of("12345")).build());
        assertTrue(e.getMessage().contains("sharedAccountIds has invalid account id(s) '12345': each must be 12 digits."), e.getMessage());
        e = assertThrows(RuntimeException.class, () -> PartnerConnectionPreferences.Builder.create(stack, "P")
                .accessType(AccessType.ALLOW_ALL).catalog("no spaces").build());
        assertTrue(e.getMessage().contains("PartnerConnectionPreferences: catalog 'no spaces' is invalid"), e.getMessage());
        // A required prop left out is refused by the builder itself, before the library runs.
        assertThrows(NullPointerException.class, () -> ConnectionAliasSharing.Builder.create(stack, "B").aliasId("wsca-a1b2c3d4e5").build());
    }
}
