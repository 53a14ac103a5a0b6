using System.Text.Json;
using System.Text.Json.Nodes;

namespace InSitu.Common;

/// <summary>
/// A config file overrides only the settings it names: the baseline is serialised, the file's fields are laid over
/// it (objects merged key by key), and the result is read back. An unknown key, a value of the wrong type or a null
/// where an object belongs is an error naming the source and the JSON path.
/// </summary>
public static class ConfigOverlay
{
    /// <summary>
    /// Validates settings read from <paramref name="source"/>: a value out of range (the settings' ArgumentException) becomes
    /// a data error naming the source, as a bad key or type already does.
    /// </summary>
    public static T Checked<T>(T config, string source) where T : IValidatedSettings
    {
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{source}: {e.Message}");
        }
        return config;
    }

    public static T Apply<T>(T baseline, string json, string source)
    {
        var merged = JsonNode.Parse(JsonSerializer.Serialize(baseline, JsonSettings.Options))!.AsObject();
        JsonNode? overlay;
        try { overlay = JsonNode.Parse(json); }
        catch (JsonException e) { throw new InvalidDataException($"{source}: not valid JSON ({e.Message})"); }
        if (overlay is not JsonObject o) throw new InvalidDataException($"{source}: expected a JSON object");
        Merge(merged, o, source, "$");
        try
        {
            return merged.Deserialize<T>(JsonSettings.Options)
                ?? throw new InvalidDataException($"{source}: the settings are empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: {e.Path ?? "$"}: {FirstLine(e.Message)}");
        }
    }

    /// <summary>Reads <paramref name="file"/> and lays it over <paramref name="baseline"/>.</summary>
    public static T ApplyFile<T>(T baseline, string file)
    {
        if (!File.Exists(file)) throw new FileNotFoundException($"config file '{file}' does not exist", file);
        return Apply(baseline, File.ReadAllText(file), file);
    }

    private static void Merge(JsonObject target, JsonObject overlay, string source, string path)
    {
        foreach (var (key, value) in overlay.ToList())
        {
            var here = $"{path}.{key}";
            if (!target.ContainsKey(key))
                throw new InvalidDataException($"{source}: unknown setting '{here}' (known: " +
                    $"{string.Join(", ", target.Select(p => p.Key))})");
            if (target[key] is JsonObject existing)
            {
                if (value is not JsonObject child) throw new InvalidDataException($"{source}: '{here}' must be an object of settings");
                Merge(existing, child, source, here);
            }
            else target[key] = value?.DeepClone();
        }
    }

    /// <summary>
    /// The message without System.Text.Json's " Path: ... | LineNumber: ..." tail: the caller names the path, and the
    /// position is one in the merged settings, not in the user's file.
    /// </summary>
    private static string FirstLine(string message)
    {
        var line = message.Split('\n')[0].Trim();
        int tail = line.IndexOf(" Path: ", StringComparison.Ordinal);
        return tail > 0 ? line[..tail] : line;
    }
}

/// <summary>Settings that check their own values, throwing ArgumentException naming the setting.</summary>
public interface IValidatedSettings
{
    void Validate();
}
