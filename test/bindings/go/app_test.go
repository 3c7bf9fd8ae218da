package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk-connection-sharing/cdk-connection-sharing-go/cdkconnectionsharing"
)

func env() *awscdk.Environment {
	return &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("eu-west-1")}
}

func TestSynthesizesTheTypeScriptAppsTemplateAndAssetManifest(t *testing.T) {
	reference := os.Getenv("CDK_REFERENCE_OUTDIR")
	if reference == "" {
		t.Fatal("CDK_REFERENCE_OUTDIR is not set: run through `npm run test:bindings`, which synthesizes the TypeScript app there")
	}
	out := t.TempDir()
	NewExampleApp(&awscdk.AppProps{Outdir: jsii.String(out)}).Synth(nil)
	for _, name := range []string{"ConnectionSharingExample.template.json", "ConnectionSharingExample.assets.json"} {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(reference, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the TypeScript app's", name)
		}
	}
	assets, _ := filepath.Glob(filepath.Join(reference, "asset.*"))
	for _, a := range assets {
		if _, err := os.Stat(filepath.Join(out, filepath.Base(a))); err != nil {
			t.Errorf("%s missing", filepath.Base(a))
		}
	}
}

func TestEnumMembers(t *testing.T) {
	if cdkconnectionsharing.AccessType_DENY_ALL != "DENY_ALL" || cdkconnectionsharing.OnDelete_RETAIN != "RETAIN" {
		t.Fatalf("enum values: %q, %q", cdkconnectionsharing.AccessType_DENY_ALL, cdkconnectionsharing.OnDelete_RETAIN)
	}
	stack := NewExampleStack(awscdk.NewApp(nil), "S", &ExampleStackProps{StackProps: awscdk.StackProps{Env: env()}, AccessType: cdkconnectionsharing.AccessType_DENY_ALL})
	assertions.Template_FromStack(stack.Stack, nil).HasResourceProperties(jsii.String("Custom::PartnerConnectionPreferences"), map[string]interface{}{"AccessType": "DENY_ALL"})
}

func TestOptionalPropsLeftOut(t *testing.T) {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("S"), &awscdk.StackProps{Env: env()})
	prefs := cdkconnectionsharing.NewPartnerConnectionPreferences(stack, jsii.String("P"), &cdkconnectionsharing.PartnerConnectionPreferencesProps{AccessType: cdkconnectionsharing.AccessType_ALLOW_ALL})
	cdkconnectionsharing.NewConnectionAliasSharing(stack, jsii.String("A"), &cdkconnectionsharing.ConnectionAliasSharingProps{AliasId: jsii.String("wsca-a1b2c3d4e5"), SharedAccountIds: jsii.Strings("210987654321")})
	if got := *prefs.Catalog(); got != "AWS" {
		t.Errorf("default catalog: %q", got)
	}
	template := assertions.Template_FromStack(stack, nil)
	template.HasResourceProperties(jsii.String("Custom::PartnerConnectionPreferences"), map[string]interface{}{"Catalog": "AWS", "OnDelete": "RESTORE", "ExcludedParticipantIdentifiers": []interface{}{}})
	template.HasResourceProperties(jsii.String("Custom::ConnectionAliasSharing"), map[string]interface{}{"AliasId": "wsca-a1b2c3d4e5", "OnDelete": "RESTORE"})
}

func TestIsStaticMethods(t *testing.T) {
	stack := NewExampleStack(awscdk.NewApp(nil), "S", &ExampleStackProps{StackProps: awscdk.StackProps{Env: env()}})
	if !*cdkconnectionsharing.PartnerConnectionPreferences_IsPartnerConnectionPreferences(stack.Preferences) ||
		*cdkconnectionsharing.PartnerConnectionPreferences_IsPartnerConnectionPreferences(stack.Sharing) ||
		!*cdkconnectionsharing.ConnectionAliasSharing_IsConnectionAliasSharing(stack.Sharing) ||
		*cdkconnectionsharing.ConnectionAliasSharing_IsConnectionAliasSharing(stack.Stack) {
		t.Fatal("is* static methods answered wrongly")
	}
}

func TestAttributes(t *testing.T) {
	stack := NewExampleStack(awscdk.NewApp(nil), "S", &ExampleStackProps{StackProps: awscdk.StackProps{Env: env()}})
	for name, v := range map[string]*string{"Arn": stack.Preferences.Arn(), "Revision": stack.Preferences.Revision(), "UpdatedAt": stack.Preferences.UpdatedAt(), "SharedAccountIdsAttr": stack.Sharing.SharedAccountIdsAttr(), "AliasId": stack.Sharing.AliasId()} {
		if !*awscdk.Token_IsUnresolved(v) {
			t.Errorf("%s is not a token: %q", name, *v)
		}
	}
	if got := *stack.Preferences.Catalog(); got != "Sandbox" {
		t.Errorf("catalog: %q", got)
	}
	if resolved := fmt.Sprint(stack.Resolve(stack.Preferences.Arn())); !strings.Contains(resolved, "Fn::GetAtt") {
		t.Errorf("Arn resolves to %s", resolved)
	}
}

// panicMessage runs f and returns what it panicked with: jsii-runtime-go panics with the library's error.
func panicMessage(f func()) (message string) {
	defer func() {
		if r := recover(); r != nil {
			if err, ok := r.(error); ok {
				message = err.Error()
			} else {
				message = fmt.Sprint(r)
			}
		}
	}()
	f()
	return ""
}

func TestInvalidPropPanicsWithTheLibrarysMessage(t *testing.T) {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("S"), &awscdk.StackProps{Env: env()})
	got := panicMessage(func() {
		cdkconnectionsharing.NewConnectionAliasSharing(stack, jsii.String("A"), &cdkconnectionsharing.ConnectionAliasSharingProps{AliasId: jsii.String("wsca-a1b2c3d4e5"), SharedAccountIds: jsii.Strings("12345")})
	})
	if want := "sharedAccountIds has invalid account id(s) '12345': each must be 12 digits."; !strings.Contains(got, want) {
		t.Errorf("panic %q does not say %q", got, want)
	}
	got = panicMessage(func() {
		cdkconnectionsharing.NewPartnerConnectionPreferences(stack, jsii.String("P"), &cdkconnectionsharing.PartnerConnectionPreferencesProps{AccessType: cdkconnectionsharing.AccessType_ALLOW_ALL, Catalog: jsii.String("no spaces")})
	})
	if want := "PartnerConnectionPreferences: catalog 'no spaces' is invalid"; !strings.Contains(got, want) {
		t.Errorf("panic %q does not say %q", got, want)
	}
}
