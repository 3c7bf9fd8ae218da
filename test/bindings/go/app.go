// The example app of bin/app.ts and bin/example-stack.ts, written in Go as a Go user would write it.
package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsworkspaces"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk-connection-sharing/cdk-connection-sharing-go/cdkconnectionsharing"
)

// ExampleStackProps are bin/example-stack.ts's props; nil fields take the example's values.
type ExampleStackProps struct {
	awscdk.StackProps
	AccessType             cdkconnectionsharing.AccessType
	ExcludedParticipantIds *[]*string
	SharedAccountIds       *[]*string
}

// ExampleStack holds both constructs, the alias shared through its CfnConnectionAlias token.
type ExampleStack struct {
	awscdk.Stack
	Preferences cdkconnectionsharing.PartnerConnectionPreferences
	Sharing     cdkconnectionsharing.ConnectionAliasSharing
}

func NewExampleStack(scope constructs.Construct, id string, props *ExampleStackProps) *ExampleStack {
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)

	accessType := props.AccessType
	if accessType == "" {
		accessType = cdkconnectionsharing.AccessType_ALLOW_BY_DEFAULT_DENY_SOME
	}
	excluded := props.ExcludedParticipantIds
	if excluded == nil {
		excluded = jsii.Strings("partner-blocked-1", "partner-blocked-2")
	}
	shared := props.SharedAccountIds
	if shared == nil {
		shared = jsii.Strings("210987654321")
	}

	// Who may connect with this partner account: everyone but two participants.
	preferences := cdkconnectionsharing.NewPartnerConnectionPreferences(stack, jsii.String("Preferences"), &cdkconnectionsharing.PartnerConnectionPreferencesProps{
		Catalog:                jsii.String("Sandbox"),
		AccessType:             accessType,
		ExcludedParticipantIds: excluded,
		OnDelete:               cdkconnectionsharing.OnDelete_RESTORE,
	})

	// A cross-Region redirection alias created in this stack and shared with another account.
	alias := awsworkspaces.NewCfnConnectionAlias(stack, jsii.String("Alias"), &awsworkspaces.CfnConnectionAliasProps{
		ConnectionString: jsii.String("desktop.example.com"),
	})
	sharing := cdkconnectionsharing.NewConnectionAliasSharing(stack, jsii.String("AliasSharing"), &cdkconnectionsharing.ConnectionAliasSharingProps{
		AliasId:          alias.AttrAliasId(),
		SharedAccountIds: shared,
	})
	return &ExampleStack{Stack: stack, Preferences: preferences, Sharing: sharing}
}

// NewExampleApp is bin/app.ts's app: the same stack id, account and region (context from CDK_CONTEXT_JSON).
func NewExampleApp(props *awscdk.AppProps) awscdk.App {
	app := awscdk.NewApp(props)
	contextOr := func(key, fallback string) *string {
		if v, ok := app.Node().TryGetContext(jsii.String(key)).(string); ok && v != "" {
			return jsii.String(v)
		}
		return jsii.String(fallback)
	}
	NewExampleStack(app, "ConnectionSharingExample", &ExampleStackProps{
		StackProps: awscdk.StackProps{Env: &awscdk.Environment{
			Account: contextOr("account", "123456789012"),
			Region:  contextOr("region", "eu-west-1"),
		}},
	})
	return app
}

func main() {
	defer jsii.Close()
	NewExampleApp(nil).Synth(nil)
}
