using System.Text;

namespace InSitu.Data;

/// <summary>Minimal RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks.</summary>
public static class Csv
{
    /// <summary>Records with the 1-based line number each starts on.</summary>
    public static IEnumerable<(int line, List<string> fields)> Read(TextReader reader)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false, any = false;
        int line = 1, start = 1;
        int c;
        while ((c = reader.Read()) != -1)
        {
            char ch = (char)c;
            any = true;
            if (quoted)
            {
                if (ch == '"')
                {
                    if (reader.Peek() == '"') { field.Append('"'); reader.Read(); }
                    else quoted = false;
                }
                else
                {
                    if (ch == '\n') line++;
                    field.Append(ch);
                }
                continue;
            }
            switch (ch)
            {
                case '"' when field.Length == 0:
                    quoted = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    break;
                case '\r':
                    break;
                case '\n':
                    fields.Add(field.ToString());
                    field.Clear();
                    yield return (start, fields);
                    fields = new List<string>();
                    any = false;
                    start = ++line;
                    break;
                default:
                    field.Append(ch);
                    break;
            }
        }
        if (any)
        {
            fields.Add(field.ToString());
            yield return (start, fields);
        }
    }

    private static readonly System.Buffers.SearchValues<char> NeedsQuotes = System.Buffers.SearchValues.Create(",\"\n\r");

    public static string Escape(string s) =>
        s.AsSpan().IndexOfAny(NeedsQuotes) >= 0 ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;

    public static string Line(IEnumerable<string> fields) => string.Join(",", fields.Select(Escape));
}
