using System.Text.Json;
using InSitu.Common;

namespace InSitu.Web;

/// <summary>
/// The append-only JSON-lines histories beside a manifest (stage labels, term reviews): one edit per line, appended
/// after the manifest itself was replaced, so a crash can leave at most a torn last line.
/// </summary>
public static class EditHistoryFile
{
    /// <summary>Every edit in order; a line that cannot be read (a crash mid-append) is skipped.</summary>
    public static List<T> Read<T>(string file)
    {
        if (!File.Exists(file)) return [];
        var edits = new List<T>();
        foreach (var line in File.ReadLines(file))
        {
            if (line.Length == 0) continue;
            try
            {
                if (JsonSerializer.Deserialize<T>(line, JsonSettings.Options) is { } e) edits.Add(e);
            }
            catch (JsonException)
            {
                // a torn last line
            }
        }
        return edits;
    }
}
