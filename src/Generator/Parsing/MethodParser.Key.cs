using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using SingleFlight.Generator.Diagnostics;

namespace SingleFlight.Generator.Parsing;

internal static partial class MethodParser
{
    private const string KeyLocalFunctionName = "__singleFlightKey";

    /// <summary>
    /// SF0004: the key. The default key is every parameter but tokens and <c>[NotKey]</c> ones; <c>KeyFrom</c> is parsed
    /// as an argument list, resolved from symbols when every part is a parameter path, and otherwise bound
    /// speculatively: as the body of a local function that has the annotated method's parameters, inside the core
    /// method's body. That sees the usings of the core method's file, the members of the containing type and
    /// <c>this</c> (for instance methods), and the annotated method's parameters shadow the core's. A name that
    /// resolves to one of the core method's own parameters counts as unknown: the generated wrapper does not have it.
    /// </summary>
    private static KeyBinding? BindKey(Context context, CoreMethodMatch core, SemanticModel semanticModel, CancellationToken ct)
    {
        var method = context.Method;
        var declaration = context.Declaration;

        if (context.Attribute.KeyFrom is not { } keyFrom || KeyFromValue.IsDefaultKey(keyFrom.Text))
        {
            // The attribute's documented contract: null or empty KeyFrom means "every parameter except tokens
            // and [NotKey] ones". Whitespace is treated as empty.
            var parts = ImmutableArray.CreateBuilder<KeyPart>();
            foreach (var parameter in method.Parameters)
            {
                if (parameter.Type.IsCancellationToken() || parameter.HasNotKeyAttribute())
                {
                    continue;
                }

                parts.Add(new PathKeyPart(Symbols.EscapeIdentifier(parameter.Name), parameter.Type, parameter, null, null));
            }

            return new KeyBinding(IsDefault: true, parts.ToImmutable(), null, null, ImmutableArray<IParameterSymbol>.Empty);
        }

        var parseOptions = declaration.SyntaxTree.Options as CSharpParseOptions ?? CSharpParseOptions.Default;

        // 1. Syntax: KeyFrom must be exactly one argument list.
        var argumentList = keyFrom.Arguments;
        if (keyFrom.SyntaxError is { } syntaxError)
        {
            ReportKeyFrom(context, keyFrom.ToValueSpan(syntaxError.Location.SourceSpan), syntaxError.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
            return null;
        }

        foreach (var argument in argumentList.Arguments)
        {
            if (argument.NameColon is not null || !argument.RefKindKeyword.IsKind(SyntaxKind.None))
            {
                ReportKeyFrom(context, keyFrom.SpanOf(argument), "A key part must be a plain expression, not a named or ref/out/in argument.");
                return null;
            }

            // The key is computed synchronously at the start of the generated method: no await there (outside
            // a lambda of its own), whatever the method returns. And it only reads: no assignment (but for
            // member initializers: `new Point { X = id }`, `request with { Id = 0 }`), no ++/--.
            var offending = argument.Expression
                .DescendantNodesAndSelf(static n => n is not AnonymousFunctionExpressionSyntax)
                .FirstOrDefault(static n => n is AwaitExpressionSyntax or AssignmentExpressionSyntax { Parent: not InitializerExpressionSyntax }
                    || n.IsKind(SyntaxKind.PreIncrementExpression) || n.IsKind(SyntaxKind.PreDecrementExpression)
                    || n.IsKind(SyntaxKind.PostIncrementExpression) || n.IsKind(SyntaxKind.PostDecrementExpression));
            if (offending is not null)
            {
                ReportKeyFrom(
                    context,
                    keyFrom.SpanOf(offending),
                    offending is AwaitExpressionSyntax ? "A key cannot await: it is computed before the flight starts." : "A key expression must not assign.");
                return null;
            }
        }

        // 2. The common case, bound without a semantic model: every part is a parameter or a chain of
        //    field/property accesses on one ("id", "tenant, id", "request.TenantId, request.Id").
        //    Speculative binding costs about a millisecond per method; this costs next to nothing.
        if (TryResolvePaths(method, keyFrom, semanticModel.Compilation) is { } paths)
        {
            return paths;
        }

        // 3. Anything else: bind inside the core method's body.
        var host = GetCoreBody(core.Method, ct);
        if (host is null)
        {
            context.Report(DiagnosticDescriptors.CoreMethodHasNoBody, context.NameLocation, null, context.CoreProperties, context.CoreMethodName);
            return null;
        }

        var hostModel = host.SyntaxTree == semanticModel.SyntaxTree
            ? semanticModel
            : semanticModel.Compilation.GetSemanticModel(host.SyntaxTree);

        // The key goes into `{ void __singleFlightKey(<the method's parameters>) { _ = (<parts>); } }`: the local function
        // is parsed from the declaration's text with a placeholder, which KeyFrom's own parsed parts then replace.
        if (SyntaxFactory.ParseStatement(BuildKeyPrefix(declaration) + "0\n); } }", 0, parseOptions) is not BlockSyntax template
            || template.ContainsDiagnostics
            || template.Statements.OfType<LocalFunctionStatementSyntax>().FirstOrDefault() is not { } templateFunction
            || (templateFunction.Body?.Statements.FirstOrDefault() as ExpressionStatementSyntax)?.Expression is not AssignmentExpressionSyntax { Right: ParenthesizedExpressionSyntax placeholder })
        {
            // The declaration's own parameter list does not round-trip.
            return null;
        }

        ExpressionSyntax keyTuple = argumentList.Arguments.Count == 1
            ? SyntaxFactory.ParenthesizedExpression(argumentList.Arguments[0].Expression)
            : SyntaxFactory.TupleExpression(argumentList.Arguments);
        var body = template.ReplaceNode(placeholder, keyTuple);

        var speculativeMethod = host
            .WithBody(body)
            .WithExpressionBody(null)
            .WithSemicolonToken(default);
        var position = host.Body?.SpanStart ?? host.ExpressionBody!.SpanStart;
        if (!hostModel.TryGetSpeculativeSemanticModelForMethodBody(position, speculativeMethod, out var keyModel) || keyModel is null)
        {
            context.Report(DiagnosticDescriptors.CoreMethodHasNoBody, context.NameLocation, null, context.CoreProperties, context.CoreMethodName);
            return null;
        }

        // Find the nodes again in the speculative tree (WithBody re-parented them).
        var speculativeBody = speculativeMethod.Body!;
        var bodyStart = speculativeBody.SpanStart;
        var speculativeFunction = speculativeBody.Statements.OfType<LocalFunctionStatementSyntax>().First();

        // Not GetDeclaredSymbol(speculativeFunction): with nullable analysis on, it costs over a millisecond.
        // Our local function's parameters are recognised by their container's kind and name instead.
        var speculativeAssignment = (AssignmentExpressionSyntax)((ExpressionStatementSyntax)speculativeFunction.Body!.Statements[0]).Expression;
        var expressions = speculativeAssignment.Right is TupleExpressionSyntax speculativeTuple
            ? speculativeTuple.Arguments.Select(static a => a.Expression).ToArray()
            : new[] { ((ParenthesizedExpressionSyntax)speculativeAssignment.Right).Expression };

        var keyParts = ImmutableArray.CreateBuilder<KeyPart>(expressions.Length);
        var mentioned = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < expressions.Length; i++)
        {
            ct.ThrowIfCancellationRequested();
            var expression = expressions[i];
            var partSpan = keyFrom.SpanOf(argumentList.Arguments[i].Expression);

            // Where the part's text starts in the speculative tree: spans inside it map back to the value from there.
            if (!CheckKeyExpression(context, keyModel, expression, expression.SpanStart - partSpan.Start, mentioned, ct))
            {
                return null;
            }

            var typeInfo = keyModel.GetTypeInfo(expression, ct);
            var type = typeInfo.Type;
            if (type is null || !IsValidKeyType(type))
            {
                ReportKeyFrom(context, partSpan, type is null ? "The expression has no type." : $"A value of type '{type.ToDisplayString()}' cannot be a key.");
                return null;
            }

            if (type.IsReferenceType || type.TypeKind == TypeKind.TypeParameter)
            {
                type = type.WithNullableAnnotation(typeInfo.Nullability.FlowState switch
                {
                    NullableFlowState.MaybeNull => NullableAnnotation.Annotated,
                    NullableFlowState.NotNull => type.NullableAnnotation == NullableAnnotation.Annotated ? NullableAnnotation.Annotated : NullableAnnotation.NotAnnotated,
                    _ => type.NullableAnnotation,
                });
            }

            var symbol = keyModel.GetSymbolInfo(expression, ct).Symbol as IParameterSymbol;
            var parameter = symbol is not null && IsKeyFunctionParameter(symbol) && symbol.Ordinal < method.Parameters.Length
                ? method.Parameters[symbol.Ordinal]
                : null;

            var text = argumentList.Arguments[i].Expression.ToString();
            keyParts.Add(new BoundKeyPart(text, type, parameter, expression, partSpan));
        }

        return new KeyBinding(IsDefault: false, keyParts.MoveToImmutable(), keyModel, host, LeftOutOfKey(method, mentioned));
    }

    /// <summary>The parameters that no key part mentions, but for tokens and <c>[NotKey]</c> ones (SF0008).</summary>
    private static ImmutableArray<IParameterSymbol> LeftOutOfKey(IMethodSymbol method, HashSet<string> mentioned)
        => method.Parameters
            .Where(p => !p.Type.IsCancellationToken() && !p.HasNotKeyAttribute() && !mentioned.Contains(p.Name))
            .ToImmutableArray();

    /// <summary>SF0004, with the <c>KeyFrom</c> text and a sentence that says what is wrong with <paramref name="span"/>.</summary>
    private static void ReportKeyFrom(Context context, TextSpan span, string problem)
        => context.Report(DiagnosticDescriptors.InvalidKeyFrom, context.KeyFromLocation(span), context.Attribute.KeyFrom?.Text, context.Name, problem);

    private static KeyBinding? TryResolvePaths(IMethodSymbol method, KeyFromValue keyFrom, Compilation compilation)
    {
        var argumentList = keyFrom.Arguments;
        var parts = ImmutableArray.CreateBuilder<KeyPart>(argumentList.Arguments.Count);
        var mentioned = new HashSet<string>(StringComparer.Ordinal);
        foreach (var argument in argumentList.Arguments)
        {
            var type = ResolvePath(argument.Expression, method, compilation, mentioned, out var parameter);
            if (type is null || !IsValidKeyType(type))
            {
                return null;
            }

            parts.Add(new PathKeyPart(
                argument.Expression.ToString(),
                type,
                argument.Expression is IdentifierNameSyntax ? parameter : null,
                argument.Expression,
                keyFrom.SpanOf(argument.Expression)));
        }

        return new KeyBinding(IsDefault: false, parts.MoveToImmutable(), null, null, LeftOutOfKey(method, mentioned));
    }

    /// <summary>
    /// The type of <c>parameter</c> or <c>parameter.Member.Member...</c>, or null when the expression is anything
    /// else (or a step might be null, or the lookup is not plain), so that full binding decides.
    /// </summary>
    private static ITypeSymbol? ResolvePath(
        ExpressionSyntax expression,
        IMethodSymbol method,
        Compilation compilation,
        HashSet<string> mentioned,
        out IParameterSymbol? parameter)
    {
        parameter = null;
        switch (expression)
        {
            case IdentifierNameSyntax identifier:
                foreach (var candidate in method.Parameters)
                {
                    if (candidate.Name == identifier.Identifier.ValueText)
                    {
                        parameter = candidate;
                        mentioned.Add(candidate.Name);
                        return candidate.Type;
                    }
                }

                return null;

            case MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.SimpleMemberAccessExpression, Name: IdentifierNameSyntax name } access:
                var receiver = ResolvePath(access.Expression, method, compilation, mentioned, out parameter);

                // Only receivers that cannot be null, of class or struct types, take the fast path: a maybe-null
                // receiver would be a nullable warning in the generated code, which full binding reports.
                if (receiver is not INamedTypeSymbol { TypeKind: TypeKind.Class or TypeKind.Struct } named
                    || named.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T
                    || (named.IsReferenceType && named.NullableAnnotation != NullableAnnotation.NotAnnotated))
                {
                    return null;
                }

                for (var type = named; type is not null; type = type.BaseType)
                {
                    var members = type.GetMembers(name.Identifier.ValueText);
                    if (members.IsEmpty)
                    {
                        continue;
                    }

                    if (members.Length != 1 || members[0].IsStatic || !compilation.IsSymbolAccessibleWithin(members[0], method.ContainingType))
                    {
                        return null;
                    }

                    return members[0] switch
                    {
                        IFieldSymbol field => field.Type,
                        IPropertySymbol { IsIndexer: false, GetMethod: { } getter, ReturnsByRef: false, ReturnsByRefReadonly: false } property
                            when compilation.IsSymbolAccessibleWithin(getter, method.ContainingType) => property.Type,
                        _ => null,
                    };
                }

                return null;

            default:
                return null;
        }
    }

    private static string BuildKeyPrefix(MethodDeclarationSyntax declaration)
    {
        var builder = new StringBuilder();
        builder.Append("{ void ").Append(KeyLocalFunctionName);
        if (declaration.TypeParameterList is { } typeParameters)
        {
            builder.Append(typeParameters.WithoutTrivia().ToFullString());
        }

        builder.Append('(');
        var first = true;
        foreach (var parameter in declaration.ParameterList.Parameters)
        {
            if (!first)
            {
                builder.Append(", ");
            }

            first = false;
            foreach (var modifier in parameter.Modifiers)
            {
                if (!modifier.IsKind(SyntaxKind.ThisKeyword))
                {
                    builder.Append(modifier.Text).Append(' ');
                }
            }

            builder.Append(parameter.Type?.WithoutTrivia().ToFullString()).Append(' ').Append(parameter.Identifier.Text);
        }

        builder.Append(')');
        foreach (var clause in declaration.ConstraintClauses)
        {
            builder.Append(' ').Append(clause.WithoutTrivia().ToFullString());
        }

        // A newline before KeyFrom keeps a trailing line comment in the user's text from eating our ")".
        builder.Append(" { _ = (\n");
        return builder.ToString();
    }

    private static bool IsValidKeyType(ITypeSymbol type)
        => type.CanBeGenericArgument() && !Symbols.ContainsError(type) && !Symbols.ContainsAnonymousType(type);
}
