using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SingleFlight.Generator.Parsing;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SingleFlight.Generator.CodeFixes;

/// <summary>Small syntax edits shared by the fixes.</summary>
internal static class SyntaxHelpers
{
    /// <summary>Adds <c>partial</c> as the last modifier (where C# requires it), keeping the layout.</summary>
    public static TypeDeclarationSyntax AddPartial(TypeDeclarationSyntax type)
    {
        if (type.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            return type;
        }

        if (type.Modifiers.Count == 0)
        {
            var keyword = type.Keyword;
            return type
                .WithKeyword(keyword.WithLeadingTrivia(Space))
                .WithModifiers(TokenList(Token(keyword.LeadingTrivia, SyntaxKind.PartialKeyword, TriviaList())));
        }

        return type.WithModifiers(type.Modifiers.Add(Token(SyntaxKind.PartialKeyword).WithTrailingTrivia(Space)));
    }

    /// <summary>
    /// The modifiers of a partial declaration made from a method: no <c>async</c>, an accessibility (an
    /// extended partial method needs one), <c>partial</c> last.
    /// </summary>
    public static SyntaxTokenList PartialModifiers(MethodDeclarationSyntax method, out SyntaxTriviaList leadingTrivia)
    {
        var first = method.Modifiers.Count > 0 ? method.Modifiers[0] : method.ReturnType.GetFirstToken();
        leadingTrivia = first.LeadingTrivia;
        var kept = method.Modifiers
            .Where(static m => !m.IsKind(SyntaxKind.AsyncKeyword) && !m.IsKind(SyntaxKind.PartialKeyword))
            .Select(static m => Token(m.Kind()).WithTrailingTrivia(Space))
            .ToList();
        if (!kept.Any(static m => SyntaxFacts.IsAccessibilityModifier(m.Kind())))
        {
            kept.Insert(0, Token(SyntaxKind.PrivateKeyword).WithTrailingTrivia(Space));
        }

        kept.Add(Token(SyntaxKind.PartialKeyword).WithTrailingTrivia(Space));
        return TokenList(kept);
    }

    /// <summary>The core method's parameters: the declaration's, without attributes, <c>this</c> or default values.</summary>
    public static ParameterListSyntax CoreParameters(MethodDeclarationSyntax method)
        => ParameterList(SeparatedList(method.ParameterList.Parameters.Select(static p => p
            .WithAttributeLists(default)
            .WithModifiers(TokenList(p.Modifiers.Where(static m => !m.IsKind(SyntaxKind.ThisKeyword))))
            .WithDefault(null)
            .WithoutTrivia())));

    /// <summary>The core method's modifiers: private, plus static / unsafe / async as the method has them.</summary>
    public static SyntaxTokenList CoreModifiers(MethodDeclarationSyntax method, bool keepAsync)
    {
        var modifiers = TokenList(Token(SyntaxKind.PrivateKeyword));
        foreach (var kind in new[] { SyntaxKind.StaticKeyword, SyntaxKind.UnsafeKeyword, SyntaxKind.AsyncKeyword })
        {
            if (method.Modifiers.Any(kind) && (kind != SyntaxKind.AsyncKeyword || keepAsync))
            {
                modifiers = modifiers.Add(Token(kind));
            }
        }

        return modifiers;
    }

    /// <summary>The <c>KeyFrom</c> string literal of the attribute the diagnostic span is in, if it is a plain literal.</summary>
    public static LiteralExpressionSyntax? FindKeyFromLiteral(SyntaxNode root, Microsoft.CodeAnalysis.Text.TextSpan span)
        => KeyFromValue.FindSyntax(root.FindNode(span, getInnermostNodeForTie: true).AncestorsAndSelf().OfType<AttributeSyntax>().FirstOrDefault())
            is LiteralExpressionSyntax literal && literal.IsKind(SyntaxKind.StringLiteralExpression)
            ? literal
            : null;

    /// <summary>A regular string literal with the given value, in place of <paramref name="literal"/>.</summary>
    public static LiteralExpressionSyntax NewLiteral(LiteralExpressionSyntax literal, string value)
        => LiteralExpression(SyntaxKind.StringLiteralExpression, Literal(value)).WithTriviaFrom(literal);
}
