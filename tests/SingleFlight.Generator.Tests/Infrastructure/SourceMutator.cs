namespace SingleFlight.Generator.Tests.Infrastructure;

/// <summary>
/// Small random edits to source text, for fuzzing the generator and the analyzer (the analyzer test project
/// links this file).
/// </summary>
internal static class SourceMutator
{
    public static string Mutate(string text, Random random, string[] tokens)
    {
        var position = random.Next(text.Length);
        switch (random.Next(4))
        {
            case 0:
                // Delete a short run of characters.
                return text.Remove(position, Math.Min(random.Next(1, 6), text.Length - position));
            case 1:
                // Delete one occurrence of a meaningful token.
                var token = tokens[random.Next(tokens.Length)];
                var at = text.IndexOf(token, position, StringComparison.Ordinal);
                return at < 0 ? text : text.Remove(at, token.Length);
            case 2:
                // Insert a token.
                return text.Insert(position, tokens[random.Next(tokens.Length)]);
            default:
                // Duplicate a line.
                var start = text.LastIndexOf('\n', Math.Max(position - 1, 0)) + 1;
                var end = text.IndexOf('\n', position);
                if (end < 0)
                {
                    return text;
                }

                return text.Insert(start, text.Substring(start, end - start + 1));
        }
    }
}
