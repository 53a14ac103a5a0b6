namespace InSitu.Common;

/// <summary>How a workflow's method registry reads method names from the command line (one place for every workflow).</summary>
public static class MethodList
{
    /// <summary>The method named <paramref name="name"/> (or its file-name form); an unknown name is an error listing the valid
    /// ones.</summary>
    public static T Find<T>(IReadOnlyList<T> all, string name, Func<T, string> nameOf, Func<T, string> slugOf) =>
        all.FirstOrDefault(m => nameOf(m) == name || slugOf(m) == name)
        ?? throw new ArgumentException($"unknown method '{name}': use {string.Join(", ", all.Select(nameOf))}");

    /// <summary>A comma-separated list of methods, each known and none twice; an empty list is an error.</summary>
    public static IReadOnlyList<T> Parse<T>(string list, IReadOnlyList<T> all, Func<string, T> find, Func<T, string> nameOf)
    {
        var names = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0) throw new ArgumentException($"no method given: use one or more of {string.Join(", ", all.Select(nameOf))}");
        var methods = names.Select(find).ToList();
        var twice = methods.GroupBy(nameOf).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new ArgumentException($"method '{twice.Key}' is listed twice");
        return methods;
    }
}
