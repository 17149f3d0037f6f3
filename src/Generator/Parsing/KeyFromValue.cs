using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace SingleFlight.Generator.Parsing;

/// <summary>
/// The <c>KeyFrom</c> value of one <c>[SingleFlight]</c> attribute, made once and passed along: its text, the text
/// parsed as the parts of a key (once), the expression that wrote it in source, and the map from a span of the
/// value to the source text that wrote it. A plain string literal (regular, verbatim or raw) maps character by
/// character, escape sequences included; any other expression (<c>nameof(id)</c>, a constant) maps every span to
/// the whole expression. Used by the parser (binding, errors), the analyzer (locations), the code fixes (the
/// literal to rewrite) and the model builder (the text).
/// </summary>
internal sealed class KeyFromValue
{
    // The parts are parsed as an argument list: "(" + text + "\n)". The newline keeps a trailing line comment in the
    // text from swallowing the closing parenthesis.
    private const int ArgumentsOffset = 1;

    private int[]? _map;
    private bool _mapBuilt;

    private readonly CSharpParseOptions _options;
    private ArgumentListSyntax? _arguments;

    private KeyFromValue(string text, ExpressionSyntax? syntax, CSharpParseOptions options)
    {
        Text = text;
        Syntax = syntax;
        _options = options;
    }

    /// <summary>The value, as the attribute holds it.</summary>
    public string Text { get; }

    /// <summary>The expression assigned to <c>KeyFrom</c> in source, when the attribute's syntax is available.</summary>
    public ExpressionSyntax? Syntax { get; }

    /// <summary>The string literal assigned to <c>KeyFrom</c>, when it is a plain literal that a fix can rewrite.</summary>
    public LiteralExpressionSyntax? Literal => Map is null ? null : Syntax as LiteralExpressionSyntax;

    /// <summary>
    /// <see cref="Text"/> parsed as an argument list, one argument per key part. Its nodes are not in any tree of the
    /// compilation: turn their spans into spans of the value with <see cref="SpanOf(SyntaxNode)"/>.
    /// </summary>
    public ArgumentListSyntax Arguments
        => _arguments ??= SyntaxFactory.ParseArgumentList("(" + Text + "\n)", 0, _options, consumeFullText: true);

    /// <summary>The first syntax error of <see cref="Arguments"/>, if any.</summary>
    public Diagnostic? SyntaxError
        => Arguments.GetDiagnostics().FirstOrDefault(static d => d.Severity == DiagnosticSeverity.Error);

    /// <summary>Whether the value is empty or white space: the key is then the default one.</summary>
    public static bool IsDefaultKey(string? text) => string.IsNullOrWhiteSpace(text);

    /// <summary>Makes the value of <c>KeyFrom = <paramref name="text"/></c>, written by <paramref name="attribute"/> if it is in source.</summary>
    public static KeyFromValue Create(string text, AttributeSyntax? attribute, CSharpParseOptions options)
        => new(text, FindSyntax(attribute), options);

    /// <summary>The expression assigned to <c>KeyFrom</c> in <paramref name="attribute"/>, or null.</summary>
    public static ExpressionSyntax? FindSyntax(AttributeSyntax? attribute)
        => attribute?.ArgumentList?.Arguments
            .FirstOrDefault(static a => a.NameEquals?.Name.Identifier.ValueText == "KeyFrom")?.Expression;

    /// <summary>The span of the value that a node of <see cref="Arguments"/> covers.</summary>
    public TextSpan SpanOf(SyntaxNode node) => ToValueSpan(node.Span);

    /// <summary>A span of <see cref="Arguments"/>'s text as a span of the value, clamped to it.</summary>
    public TextSpan ToValueSpan(TextSpan span)
    {
        var start = Math.Min(Math.Max(span.Start - ArgumentsOffset, 0), Text.Length);
        var end = Math.Min(Math.Max(span.End - ArgumentsOffset, start), Text.Length);
        return TextSpan.FromBounds(start, end);
    }

    /// <summary>The text of a span of the value (the whole value for a span outside it).</summary>
    public string TextOf(TextSpan span)
        => span.Start >= 0 && span.End <= Text.Length ? Text.Substring(span.Start, span.Length) : Text;

    /// <summary>The value with <paramref name="span"/> replaced by <paramref name="replacement"/>.</summary>
    public string Rewrite(TextSpan span, string replacement)
        => Text.Substring(0, span.Start) + replacement + Text.Substring(span.End);

    /// <summary>The value with each span replaced (the spans must not overlap).</summary>
    public string Rewrite(ImmutableArray<(TextSpan Span, string Replacement)> edits)
    {
        var text = Text;
        foreach (var (span, replacement) in edits.OrderByDescending(static e => e.Span.Start))
        {
            text = text.Substring(0, span.Start) + replacement + text.Substring(span.End);
        }

        return text;
    }

    private int[]? Map
    {
        get
        {
            if (!_mapBuilt)
            {
                _map = Syntax is LiteralExpressionSyntax literal && literal.IsKind(SyntaxKind.StringLiteralExpression) ? BuildMap(literal.Token) : null;
                _mapBuilt = true;
            }

            return _map;
        }
    }

    /// <summary>
    /// The source location of a span of the value; the whole <c>KeyFrom</c> expression when the span cannot be mapped;
    /// <paramref name="fallback"/> when the attribute is not in source.
    /// </summary>
    public Location GetLocation(TextSpan? spanInValue, Location fallback)
    {
        if (Syntax is null)
        {
            return fallback;
        }

        var map = Map;
        if (map is null || spanInValue is not { } span || span.End >= map.Length)
        {
            return Syntax.GetLocation();
        }

        var start = map[span.Start];
        var end = span.Length == 0 ? start : map[span.End - 1] + (map[span.End] - map[span.End - 1]);
        return Location.Create(Syntax.SyntaxTree, TextSpan.FromBounds(start, Math.Max(start, end)));
    }

    /// <summary>
    /// For each character of the literal's value, the absolute source position where it starts; one extra
    /// entry for the end. Null when the value cannot be mapped (an unexpected token shape).
    /// </summary>
    private static int[]? BuildMap(SyntaxToken token)
    {
        var text = token.Text;
        var value = token.ValueText;
        var start = token.SpanStart;
        var map = new int[value.Length + 1];
        var v = 0;

        try
        {
            if (token.IsKind(SyntaxKind.SingleLineRawStringLiteralToken) || token.IsKind(SyntaxKind.MultiLineRawStringLiteralToken))
            {
                return BuildRawMap(token, map);
            }

            var verbatim = text.StartsWith("@", StringComparison.Ordinal);
            var i = verbatim ? 2 : 1;
            var end = text.Length - 1;
            while (i < end && v < value.Length)
            {
                var c = text[i];
                if (verbatim)
                {
                    map[v++] = start + i;
                    i += c == '"' ? 2 : 1;
                    continue;
                }

                if (c != '\\')
                {
                    map[v++] = start + i;
                    i++;
                    continue;
                }

                var escapeStart = i;
                var kind = text[i + 1];
                int width;
                var produced = 1;
                switch (kind)
                {
                    case 'x':
                        width = 2;
                        while (width < 6 && i + width < end && Uri.IsHexDigit(text[i + width]))
                        {
                            width++;
                        }

                        break;
                    case 'u':
                        width = 6;
                        break;
                    case 'U':
                        width = 10;
                        produced = Convert.ToInt32(text.Substring(i + 2, 8), 16) > 0xFFFF ? 2 : 1;
                        break;
                    default:
                        width = 2;
                        break;
                }

                for (var k = 0; k < produced && v < value.Length; k++)
                {
                    map[v++] = start + escapeStart;
                }

                i += width;
            }

            if (v != value.Length)
            {
                return null;
            }

            map[v] = start + i;
            return map;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or IndexOutOfRangeException or OverflowException)
        {
            return null;
        }
    }

    private static int[]? BuildRawMap(SyntaxToken token, int[] map)
    {
        var text = token.Text;
        var value = token.ValueText;
        var start = token.SpanStart;
        var quotes = 0;
        while (quotes < text.Length && text[quotes] == '"')
        {
            quotes++;
        }

        if (token.IsKind(SyntaxKind.SingleLineRawStringLiteralToken))
        {
            for (var k = 0; k <= value.Length; k++)
            {
                map[k] = start + quotes + k;
            }

            return map;
        }

        // Multi-line: the value is the lines between the delimiters, each without the closing line's
        // indentation.
        var sourceText = token.SyntaxTree?.GetText() ?? SourceText.From(text);
        var tokenLines = sourceText.Lines.GetLinePositionSpan(token.Span);
        var closingLine = sourceText.Lines[tokenLines.End.Line];
        var closingText = closingLine.ToString();
        var indentation = closingText.Length - closingText.TrimStart().Length;

        var v = 0;
        for (var line = tokenLines.Start.Line + 1; line < tokenLines.End.Line && v <= value.Length; line++)
        {
            var sourceLine = sourceText.Lines[line];
            var lineStart = sourceLine.Start + Math.Min(indentation, sourceLine.Span.Length);
            for (var p = lineStart; p < sourceLine.EndIncludingLineBreak && v < value.Length; p++)
            {
                map[v++] = p;
            }

            if (line == tokenLines.End.Line - 1)
            {
                break;
            }
        }

        if (v < value.Length - 2)
        {
            return null;
        }

        // The last line's break is not part of the value.
        for (; v <= value.Length; v++)
        {
            map[v] = v == 0 ? start : map[v - 1] + 1;
        }

        return map;
    }
}
