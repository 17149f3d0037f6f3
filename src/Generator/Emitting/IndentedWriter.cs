using System.Text;

namespace SingleFlight.Generator.Emitting;

/// <summary>A small indented text writer: four spaces per level, <c>\n</c> line ends.</summary>
internal sealed class IndentedWriter
{
    private readonly StringBuilder _builder = new();
    private int _indent;

    /// <summary>Writes one line at the current indentation (an empty line has no indentation).</summary>
    public IndentedWriter Line(string text = "")
    {
        if (text.Length > 0)
        {
            _builder.Append(' ', _indent * 4).Append(text);
        }

        _builder.Append('\n');
        return this;
    }

    /// <summary>Writes <c>{</c> and indents.</summary>
    public IndentedWriter Open()
    {
        Line("{");
        _indent++;
        return this;
    }

    /// <summary>Unindents and writes <c>}</c> (with an optional suffix such as <c>;</c>).</summary>
    public IndentedWriter Close(string suffix = "")
    {
        _indent--;
        return Line("}" + suffix);
    }

    /// <summary>Indents the following lines one more level.</summary>
    public IndentedWriter Indent()
    {
        _indent++;
        return this;
    }

    /// <summary>Indents the following lines one level less.</summary>
    public IndentedWriter Unindent()
    {
        _indent--;
        return this;
    }

    /// <inheritdoc/>
    public override string ToString() => _builder.ToString();
}
