using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace SingleFlight.Generator.Analyzers;

/// <summary>
/// The <c>KeyFrom = ...</c> argument of a <c>[SingleFlight]</c> attribute in source, and the mapping from a
/// span inside the <c>KeyFrom</c> value to the source text that wrote it. A plain string literal (regular,
/// verbatim or raw) maps character by character, escape sequences included; any other expression
/// (<c>nameof(id)</c>, a constant) maps every span to the whole expression.
/// </summary>
internal sealed class KeyFromSource
{
    private readonly int[]? _map;

    private KeyFromSource(ExpressionSyntax expression, int[]? map)
    {
        Expression = expression;
        _map = map;
    }

    /// <summary>The expression assigned to <c>KeyFrom</c>.</summary>
    public ExpressionSyntax Expression { get; }

    /// <summary>The string literal assigned to <c>KeyFrom</c>, when it is a plain literal that a fix can rewrite.</summary>
    public LiteralExpressionSyntax? Literal => _map is null ? null : Expression as LiteralExpressionSyntax;

    /// <summary>Finds <c>KeyFrom = ...</c> in the attribute, or returns null.</summary>
    public static KeyFromSource? Find(AttributeSyntax? attribute)
    {
        var argument = attribute?.ArgumentList?.Arguments
            .FirstOrDefault(static a => a.NameEquals?.Name.Identifier.ValueText == "KeyFrom");
        if (argument is null)
        {
            return null;
        }

        var expression = argument.Expression;
        int[]? map = null;
        if (expression is LiteralExpressionSyntax literal && literal.IsKind(SyntaxKind.StringLiteralExpression))
        {
            map = BuildMap(literal.Token);
        }

        return new KeyFromSource(expression, map);
    }

    /// <summary>The source location of a span inside the <c>KeyFrom</c> value.</summary>
    public Location GetLocation(TextSpan? spanInValue)
    {
        if (_map is null || spanInValue is not { } span || span.End >= _map.Length)
        {
            return Expression.GetLocation();
        }

        var start = _map[span.Start];
        var end = span.Length == 0 ? start : _map[span.End - 1] + CharWidth(span.End - 1);
        return Location.Create(Expression.SyntaxTree, TextSpan.FromBounds(start, Math.Max(start, end)));
    }

    // Source width of the value character at index (an escape sequence is wider than one).
    private int CharWidth(int index) => _map![index + 1] - _map[index];

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
