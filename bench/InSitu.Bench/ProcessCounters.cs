using System.Globalization;

/// <summary>Counters of this process that the benchmark reports beside wall time.</summary>
internal static class ProcessCounters
{
    /// <summary>Minor page faults so far (field 10 of /proc/self/stat); 0 where there is no /proc.</summary>
    public static long MinorPageFaults()
    {
        try
        {
            var stat = File.ReadAllText("/proc/self/stat");
            // the command name (field 2) is in parentheses and may hold spaces: count fields after its closing one
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[7], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
