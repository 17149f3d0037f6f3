using System.Globalization;

namespace StampedeDemo;

/// <summary>Markdown tables and the number formats the demo prints.</summary>
internal static class Table
{
    /// <summary>Prints one column per <paramref name="columns"/> entry and one row per named row, cells right-aligned.</summary>
    public static void Print(IReadOnlyList<string> columns, IReadOnlyList<(string Name, string[] Cells)> rows)
    {
        var first = rows.Max(r => r.Name.Length);
        var widths = columns.Select((column, i) => Math.Max(column.Length, rows.Max(r => r.Cells[i].Length))).ToArray();
        string Line(string name, IEnumerable<string> cells)
            => "| " + name.PadRight(first) + " | " + string.Join(" | ", cells.Select((c, i) => c.PadLeft(widths[i]))) + " |";

        Console.WriteLine(Line("", columns));
        Console.WriteLine("|" + new string('-', first + 2) + "|" + string.Join("|", widths.Select(w => new string('-', w + 1) + ":")) + "|");
        foreach (var row in rows)
        {
            Console.WriteLine(Line(row.Name, row.Cells));
        }
    }

    public static string Count(double value) => value.ToString(value % 1 == 0 ? "N0" : "N1", CultureInfo.InvariantCulture);

    public static string Milliseconds(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture) + " ms";

    /// <summary>The value at rank <paramref name="p"/> (0 to 1) of an ascending array; 0 when it is empty.</summary>
    public static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[(int)Math.Round(p * (sorted.Length - 1))];
}
