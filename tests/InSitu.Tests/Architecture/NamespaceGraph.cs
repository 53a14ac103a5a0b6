using System.Reflection;
using System.Reflection.Emit;

namespace InSitu.Tests.Architecture;

/// <summary>
/// Which namespaces of an assembly use which others, read from the compiled code itself: base types, interfaces,
/// fields, signatures, locals, and every type, method and field token in method bodies (so a static call or a
/// `new` inside a method counts, not just what the declarations show).
/// </summary>
public sealed class NamespaceGraph
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    public Dictionary<string, SortedSet<string>> Edges { get; } = new();

    /// <summary>The graph of the namespaces that start with <paramref name="prefix"/>, with edges only between them.</summary>
    public static NamespaceGraph Of(Assembly assembly, string prefix)
    {
        var graph = new NamespaceGraph();
        foreach (var type in assembly.GetTypes())
        {
            var from = NamespaceOf(type);
            if (from is null || !from.StartsWith(prefix, StringComparison.Ordinal)) continue;
            if (!graph.Edges.ContainsKey(from)) graph.Edges[from] = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var used in ReferencedTypes(type))
                if (NamespaceOf(used) is { } to && to != from && to.StartsWith(prefix, StringComparison.Ordinal)) graph.Edges[from].Add(to);
        }
        return graph;
    }

    /// <summary>Adds an edge, as a test does to show that a cycle is caught.</summary>
    public NamespaceGraph With(string from, string to)
    {
        var copy = new NamespaceGraph();
        foreach (var (k, v) in Edges) copy.Edges[k] = new SortedSet<string>(v, StringComparer.Ordinal);
        if (!copy.Edges.ContainsKey(from)) copy.Edges[from] = new SortedSet<string>(StringComparer.Ordinal);
        copy.Edges[from].Add(to);
        return copy;
    }

    /// <summary>Every namespace cycle, each as the path a -> b -> ... -> a (strongly connected components of two or more).</summary>
    public List<string> Cycles()
    {
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var cycles = new List<string>();
        int counter = 0;
        void Visit(string v)
        {
            index[v] = low[v] = counter++;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in Edges.GetValueOrDefault(v) ?? new SortedSet<string>())
            {
                if (!index.TryGetValue(w, out var seen))
                {
                    Visit(w);
                    low[v] = Math.Min(low[v], low[w]);
                }
                else if (onStack.Contains(w)) low[v] = Math.Min(low[v], seen);
            }
            if (low[v] != index[v]) return;
            var component = new List<string>();
            string x;
            do
            {
                x = stack.Pop();
                onStack.Remove(x);
                component.Add(x);
            }
            while (x != v);
            if (component.Count > 1) cycles.Add(string.Join(" <-> ", component.Order(StringComparer.Ordinal)));
        }
        foreach (var v in Edges.Keys.Order(StringComparer.Ordinal))
            if (!index.ContainsKey(v)) Visit(v);
        return cycles;
    }

    /// <summary>
    /// Edges that break the layering: a workflow (a namespace under <paramref name="workflows"/>) using another
    /// workflow, or a shared layer using any workflow.
    /// </summary>
    public List<string> LayerViolations(string workflows)
    {
        string? WorkflowOf(string ns) => ns.StartsWith(workflows + ".", StringComparison.Ordinal)
            ? ns[(workflows.Length + 1)..].Split('.')[0] : null;
        var found = new List<string>();
        foreach (var (from, targets) in Edges)
            foreach (var to in targets)
            {
                var (a, b) = (WorkflowOf(from), WorkflowOf(to));
                if (b is null) continue;
                if (a is null) found.Add($"shared {from} uses workflow {to}");
                else if (a != b) found.Add($"workflow {from} uses workflow {to}");
            }
        return found;
    }

    private static string? NamespaceOf(Type type)
    {
        while (type.IsNested) type = type.DeclaringType!;
        return type.Namespace;
    }

    private static IEnumerable<Type> ReferencedTypes(Type type)
    {
        const BindingFlags all =
            BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var found = new List<Type>();
        if (type.BaseType is { } b) found.Add(b);
        found.AddRange(type.GetInterfaces());
        found.AddRange(type.GetFields(all).Select(f => f.FieldType));
        found.AddRange(type.GetProperties(all).Select(p => p.PropertyType));
        foreach (var method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
        {
            if (method is MethodInfo mi) found.Add(mi.ReturnType);
            found.AddRange(method.GetParameters().Select(p => p.ParameterType));
            found.AddRange(BodyReferences(method));
        }
        return found.SelectMany(Expand);
    }

    /// <summary>A type and everything it is built from: element types of arrays and refs, generic arguments.</summary>
    private static IEnumerable<Type> Expand(Type t)
    {
        if (t.HasElementType) return Expand(t.GetElementType()!);
        if (t.IsGenericParameter) return Array.Empty<Type>();
        if (!t.IsGenericType) return new[] { t };
        return new[] { t.GetGenericTypeDefinition() }.Concat(t.GetGenericArguments().SelectMany(Expand));
    }

    private static IEnumerable<Type> BodyReferences(MethodBase method)
    {
        MethodBody? body;
        try { body = method.GetMethodBody(); }
        catch (InvalidOperationException) { yield break; }
        if (body is null) yield break;
        foreach (var local in body.LocalVariables) yield return local.LocalType;
        var il = body.GetILAsByteArray() ?? Array.Empty<byte>();
        var typeArgs = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (int i = 0; i < il.Length;)
        {
            short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            var op = OpCodesByValue[value];
            int size = OperandSize(op.OperandType, il, i);
            if (op.OperandType is OperandType.InlineType or OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineTok)
            {
                int token = BitConverter.ToInt32(il, i);
                Type? used = null;
                try
                {
                    used = method.Module.ResolveMember(token, typeArgs, methodArgs) switch
                    {
                        Type t => t,
                        MemberInfo m => m.DeclaringType,
                        _ => null,
                    };
                }
                catch (ArgumentException) { }
                if (used is not null) yield return used;
            }
            i += size;
        }
    }

    private static int OperandSize(OperandType type, byte[] il, int at) => type switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
        _ => 4,
    };
}
