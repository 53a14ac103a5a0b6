using InSitu.Common;
using InSitu.Data;

namespace InSitu.Web.Queue;

/// <summary>One change of a precise stage, as kept in the manifest's history.</summary>
public sealed record LabelEdit(int Seq, DateTime Time, string Path, int? Before, int? After, int? RangeBefore, int? RangeAfter,
    int? Undoes = null) : IUndoableEdit;

/// <summary>
/// Changes to a manifest's precise stages, each written atomically to the manifest itself and appended to its
/// history (MANIFEST.history.jsonl beside it): who set what when, and the undos. The history is what a later session
/// resumes from and what undo reads; edits of one manifest are serialised.
/// </summary>
public static class LabelHistory
{

    public static string FileOf(string manifest) => System.IO.Path.ChangeExtension(manifest, null) + ".history.jsonl";

    /// <summary>Sets (or clears) the precise stage of the row naming <paramref name="path"/>; the range label must allow it.</summary>
    public static LabelEdit SetStage(string manifestFile, string path, int? stage)
    {
        lock (EditHistoryFile.LockOf(manifestFile))
        {
            var m = Manifest.Load(manifestFile);
            int row = RowOf(m, path);
            var before = m.Rows[row].Stage;
            if (stage is { } s)
            {
                if (s is < 1 or > 17) throw new ArgumentException($"stage {s} is outside 1..17");
                if (m.Rows[row].Range is { } r && StageRanges.Of(s) != r)
                    throw new ArgumentException($"stage {s} lies outside this image's range {StageRanges.Names[r - 1]}");
            }
            var range = m.Rows[row].Range;
            return Apply(manifestFile, m, row, (before, range), (stage, stage is { } st ? StageRanges.Of(st) : range), undoes: null);
        }
    }

    /// <summary>Undoes the latest edit not yet undone; null when there is none. Refused when the row changed since.</summary>
    public static LabelEdit? Undo(string manifestFile)
    {
        lock (EditHistoryFile.LockOf(manifestFile))
        {
            var last = EditHistoryFile.LatestUndoable(Read(manifestFile));
            if (last is null) return null;
            var m = Manifest.Load(manifestFile);
            int row = RowOf(m, last.Path);
            if (m.Rows[row].Stage != last.After)
                throw new InvalidOperationException($"'{last.Path}' was changed after edit {last.Seq} (its stage is now " +
                    $"{m.Rows[row].Stage?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "empty"}); not undone");
            return Apply(manifestFile, m, row, (last.After, last.RangeAfter), (last.Before, last.RangeBefore), last.Seq);
        }
    }

    /// <summary>Every edit in order; a line that cannot be read (a crash mid-append) is skipped.</summary>
    public static List<LabelEdit> Read(string manifestFile) => EditHistoryFile.Read<LabelEdit>(FileOf(manifestFile));

    private static LabelEdit Apply(string manifestFile, Manifest m, int row, (int? stage, int? range) before,
        (int? stage, int? range) after, int? undoes)
    {
        var r = m.Rows[row];
        var rows = m.Rows.ToList();
        rows[row] = r with { Stage = after.stage, Range = after.range };
        m.WithRows(rows).Save(manifestFile);
        var edit = new LabelEdit(EditHistoryFile.NextSeq(Read(manifestFile)), DateTime.UtcNow, r.Path, before.stage, after.stage,
            before.range, after.range, undoes);
        EditHistoryFile.Append(FileOf(manifestFile), edit);
        return edit;
    }

    private static int RowOf(Manifest m, string path)
    {
        var full = m.FullPath(new ManifestRow(path));
        for (int i = 0; i < m.Rows.Count; i++)
            if (m.FullPath(m.Rows[i]) == full) return i;
        throw new WebErrors.NotFoundException($"no image '{path}' in {m.SourceFile}");
    }
}
