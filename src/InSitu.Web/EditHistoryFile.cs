using System.Collections.Concurrent;
using System.Text.Json;
using InSitu.Common;

namespace InSitu.Web;

/// <summary>An edit in a history: its number, and the number of the edit it undoes (null for an edit of its own).</summary>
public interface IUndoableEdit
{
    int Seq { get; }

    int? Undoes { get; }
}

/// <summary>
/// The append-only JSON-lines histories beside a manifest (stage labels, term reviews): one edit per line, appended
/// after the manifest itself was replaced, so a crash can leave at most a torn last line.
/// </summary>
public static class EditHistoryFile
{
    private static readonly JsonSerializerOptions OneLineJson = new(JsonSettings.Options) { WriteIndented = false };
    private static readonly ConcurrentDictionary<string, object> Locks = new(StringComparer.Ordinal);

    /// <summary>
    /// The one lock of a manifest file: every edit that loads, changes and saves it (a stage label, a term review, their
    /// undos) holds it, so edits of different kinds to the same manifest cannot overwrite each other.
    /// </summary>
    public static object LockOf(string manifestFile) => Locks.GetOrAdd(Path.GetFullPath(manifestFile), _ => new object());

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

    /// <summary>The number the next edit of <paramref name="history"/> takes.</summary>
    public static int NextSeq<T>(List<T> history) where T : IUndoableEdit => history.Count == 0 ? 1 : history.Max(h => h.Seq) + 1;

    /// <summary>The latest edit of its own that no later edit undid: what an undo reverts; null when there is none.</summary>
    public static T? LatestUndoable<T>(List<T> history) where T : class, IUndoableEdit
    {
        var undone = Undone(history);
        return history.LastOrDefault(h => h.Undoes is null && !undone.Contains(h.Seq));
    }

    /// <summary>The numbers of the edits that were undone.</summary>
    public static HashSet<int> Undone<T>(List<T> history) where T : IUndoableEdit =>
        history.Where(h => h.Undoes is not null).Select(h => h.Undoes!.Value).ToHashSet();

    public static void Append<T>(string file, T edit) => File.AppendAllText(file, JsonSerializer.Serialize(edit, OneLineJson) + "\n");
}
