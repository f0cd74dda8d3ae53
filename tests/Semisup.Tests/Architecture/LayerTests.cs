using System.Reflection;
using System.Text.RegularExpressions;
using Mono.Cecil;
using Mono.Cecil.Cil;
using NetArchTest.Rules;
using Semisup.Cli;

namespace Semisup.Tests.Architecture;

/// <summary>Dependencies run one way: Cli → Runs → Training → Recipes, and Training → {Methods, Optim, Export} →
/// Models → Nn → Data; Reports reads run directories through Runs. A building block never knows what a recipe, a run
/// directory or a CLI flag is; Reports and serving never reach a model but through Runs. Checked on the compiled
/// assemblies (method bodies included), not on source text.</summary>
public class LayerTests
{
    const string Direction = "Cli → Reports → Runs → Training → Recipes → {Methods, Optim, Export} → Models → Nn → Data";

    static readonly Assembly Library = typeof(SemisupException).Assembly, Cli = typeof(SemisupCli).Assembly;

    /// <summary>From the bottom up; a layer may use those before it.</summary>
    static readonly string[] Layers = ["Semisup.Data", "Semisup.Nn", "Semisup.Models", "Semisup.Optim", "Semisup.Methods", "Semisup.Export",
        "Semisup.Recipes", "Semisup.Training", "Semisup.Runs", "Semisup.Reports", "Semisup.Cli"];

    static string[] Above(string layer) => Layers[(Array.IndexOf(Layers, layer) + 1)..];

    /// <summary>Those below Runs: they throw typed errors, and the CLI words them with its flags.</summary>
    static readonly string[] BelowRuns = Layers[..Array.IndexOf(Layers, "Semisup.Runs")];

    const string Torch = "TorchSharp";

    /// <summary>What each layer may not use: everything above it; for the building blocks, each other where the direction
    /// does not allow it; for Reports and the CLI, anything that holds a model.</summary>
    public static TheoryData<string, string[]> Forbidden => new()
    {
        { "Semisup.Data", Above("Semisup.Data") },
        { "Semisup.Nn", Above("Semisup.Nn") },
        { "Semisup.Models", Above("Semisup.Models") },
        { "Semisup.Optim", Above("Semisup.Optim") },
        { "Semisup.Methods", ["Semisup.Optim", .. Above("Semisup.Methods")] },
        { "Semisup.Export", ["Semisup.Optim", "Semisup.Methods", .. Above("Semisup.Export")] },
        // A recipe describes a run: no tensors, no export.
        { "Semisup.Recipes", ["Semisup.Export", Torch, .. Above("Semisup.Recipes")] },
        { "Semisup.Training", Above("Semisup.Training") },
        { "Semisup.Runs", Above("Semisup.Runs") },
        { "Semisup.Reports", ["Semisup.Cli", "Semisup.Training", "Semisup.Models", "Semisup.Methods", "Semisup.Optim", "Semisup.Nn", "Semisup.Export", Torch] },
        // The CLI may read a recipe's blocks (the recipes command prints a network's size), not hold a network.
        { "Semisup.Cli", ["Semisup.Models.Classifier", "Semisup.Methods", "Semisup.Optim", Torch] },
        { "Semisup.Cli.Serving", ["Semisup.Training", "Semisup.Models", "Semisup.Methods", "Semisup.Optim", "Semisup.Nn", "Semisup.Export", Torch] },
    };

    static IReadOnlyList<string> Violations(Assembly assembly, string layer, string[] forbidden)
    {
        var types = Types.InAssembly(assembly).That().ResideInNamespace(layer);
        Assert.NotEmpty(types.GetTypes());
        return types.ShouldNot().HaveDependencyOnAny(forbidden).GetResult().FailingTypeNames ?? [];
    }

    [Theory]
    [MemberData(nameof(Forbidden))]
    public void A_layer_depends_only_on_the_layers_below_it(string layer, string[] forbidden)
    {
        var failing = Violations(layer.StartsWith("Semisup.Cli") ? Cli : Library, layer, forbidden);
        Assert.True(failing.Count == 0, $"{layer} uses {string.Join(", ", forbidden)} in {string.Join(", ", failing)}; dependencies run {Direction}.");
    }

    [Fact]
    public void Every_namespace_of_the_library_is_a_layer()
    {
        var namespaces = Library.GetTypes().Select(t => t.Namespace).OfType<string>().Where(n => n.StartsWith("Semisup.")).Distinct();
        Assert.All(namespaces, n => Assert.Contains(n, Layers));
    }

    /// <summary>Reports and serving may not touch a model even through a layer they may use: no method they call, nor any
    /// those call in turn, reaches TorchSharp. Calls through an interface or an abstract method are not followed.</summary>
    [Theory]
    [InlineData("Semisup.Reports")]
    [InlineData("Semisup.Cli.Serving")]
    public void Reports_and_serving_reach_no_model_through_the_layers_they_use(string layer)
    {
        var (module, cli) = (Module(Library), Module(Cli));
        var starts = (layer.StartsWith("Semisup.Cli") ? cli : module).GetTypes().Where(t => t.Namespace == layer).SelectMany(AllMethods);
        var reached = PathToTorch(starts);
        if (layer == "Semisup.Cli.Serving")
            // Serving predicts through Runs' Ensemble, which holds the models: the one path allowed.
            Assert.Contains("Semisup.Runs.Ensemble", reached ?? "");
        else
            Assert.True(reached is null, $"{layer} reaches TorchSharp: {reached}");
    }

    /// <summary>The CLI's options, each as it is typed (--labels).</summary>
    static HashSet<string> CliFlags()
    {
        var flags = new HashSet<string>();
        void Walk(System.CommandLine.Command c)
        {
            foreach (var o in c.Options) foreach (var name in o.Aliases.Append(o.Name).Where(n => n.StartsWith("--"))) flags.Add(name);
            foreach (var sub in c.Subcommands) Walk(sub);
        }
        Walk(SemisupCli.Build());
        return flags;
    }

    /// <summary>The string literals in the methods of the namespaces given that name one of the CLI's flags.</summary>
    static List<string> FlagsNamed(ModuleDefinition module, string[] namespaces)
    {
        var flags = CliFlags();
        Assert.Contains("--labels", flags);
        return [.. module.GetTypes().Where(t => namespaces.Contains(Outermost(t).Namespace)).SelectMany(AllMethods).Where(m => m.HasBody)
            .SelectMany(m => m.Body.Instructions.Where(i => i.OpCode == OpCodes.Ldstr).Select(i => (Method: m, Text: (string)i.Operand)))
            .Where(s => Regex.Matches(s.Text, "--[a-z][a-z-]*").Any(f => flags.Contains(f.Value)))
            .Select(s => $"{s.Method.DeclaringType.FullName}.{s.Method.Name}: \"{s.Text}\"")];
    }

    [Fact]
    public void Nothing_below_Runs_names_a_CLI_flag()
    {
        var found = FlagsNamed(Module(Library), BelowRuns);
        Assert.True(found.Count == 0, $"CLI wording below Runs; throw a typed error the CLI words instead:\n{string.Join("\n", found)}");
    }

    /// <summary>A method's lines, from its first line of code to its last (its braces and signature not counted), by
    /// the debug information.</summary>
    static int Lines(MethodDefinition m)
    {
        var points = m.DebugInformation.SequencePoints.Where(p => !p.IsHidden).ToList();
        return points.Count == 0 ? 0 : points.Max(p => p.EndLine) - points.Min(p => p.StartLine) + 1;
    }

    /// <summary>Trainer's longest method is under 40 lines, and no CLI command's method is over 30.</summary>
    [Theory]
    [InlineData("Semisup.Training.Trainer", 39)]
    [InlineData("Semisup.Cli.*Command*", 30)]
    public void The_loop_and_the_commands_read_in_short_methods(string types, int most)
    {
        var pattern = new Regex("^" + Regex.Escape(types).Replace("\\*", "[^.]*") + "$");
        var methods = Module(Library).GetTypes().Concat(Module(Cli).GetTypes()).Where(t => pattern.IsMatch(Outermost(t).FullName))
            .SelectMany(AllMethods).Where(m => !m.IsConstructor).ToList(); // a constructor gathers the field initializers, wherever they stand
        Assert.NotEmpty(methods);
        var longest = methods.MaxBy(Lines)!;
        Assert.True(Lines(longest) <= most, $"{longest.DeclaringType.FullName}.{longest.Name} has {Lines(longest)} lines; at most {most}.");
    }

    // The tests of the tests: each rule, given a planted violation (Planted below), must fail.

    [Fact]
    public void The_layer_rule_catches_a_forbidden_dependency()
    {
        var planted = Violations(typeof(Planted.ReportThatTrains).Assembly, typeof(Planted.ReportThatTrains).Namespace!, ["Semisup.Training"]);
        Assert.Contains(typeof(Planted.ReportThatTrains).FullName, planted);
        // And on the library itself: Training does use the building blocks.
        Assert.NotEmpty(Violations(Library, "Semisup.Training", ["Semisup.Models"]));
    }

    [Fact]
    public void The_reach_rule_finds_a_model_loaded_two_layers_away()
    {
        var planted = Module(typeof(LayerTests).Assembly).GetType(typeof(Planted.ReportThatCompares).FullName);
        var reached = PathToTorch(AllMethods(planted));
        Assert.NotNull(reached);
        Assert.Contains("Semisup.Runs.Comparison", reached);
    }

    [Fact]
    public void The_flag_rule_finds_a_flag_in_a_message()
    {
        var found = FlagsNamed(Module(typeof(LayerTests).Assembly), [typeof(Planted.ReportThatTrains).Namespace!]);
        Assert.Contains(found, f => f.Contains("--resume"));
        Assert.DoesNotContain(found, f => f.Contains("--pack-destination")); // npm's, not the CLI's
    }

    [Fact]
    public void The_length_rule_counts_a_long_method()
    {
        var planted = Module(typeof(LayerTests).Assembly).GetType(typeof(Planted.ReportThatTrains).FullName);
        Assert.Equal(33, Lines(planted.Methods.Single(m => m.Name == nameof(Planted.ReportThatTrains.Long))));
    }

    static readonly Dictionary<Assembly, ModuleDefinition> Modules = [];

    static ModuleDefinition Module(Assembly assembly)
    {
        lock (Modules)
        {
            if (Modules.TryGetValue(assembly, out var module)) return module;
            var resolver = new DefaultAssemblyResolver();
            resolver.AddSearchDirectory(Path.GetDirectoryName(assembly.Location)!);
            return Modules[assembly] = ModuleDefinition.ReadModule(assembly.Location,
                new ReaderParameters { AssemblyResolver = resolver, ReadSymbols = true, SymbolReaderProvider = new PortablePdbReaderProvider() });
        }
    }

    static TypeDefinition Outermost(TypeDefinition t) => t.DeclaringType is { } outer ? Outermost(outer) : t;

    /// <summary>A type's methods with those of its nested types: lambdas, local functions, async and iterator state machines.</summary>
    static IEnumerable<MethodDefinition> AllMethods(TypeDefinition t) => t.Methods.Concat(t.NestedTypes.SelectMany(AllMethods));

    static readonly string[] Ours = ["Semisup", "Semisup.Cli", "Semisup.Tests"];

    static string AssemblyOf(TypeReference t) => t.Scope switch
    {
        AssemblyNameReference a => a.Name,
        ModuleDefinition m => m.Assembly.Name.Name,
        _ => "",
    };

    /// <summary>A chain of calls from <paramref name="starts"/> to a TorchSharp member, through Semisup's own methods
    /// (their lambdas and async state machines included), or null if there is none.</summary>
    static string? PathToTorch(IEnumerable<MethodDefinition> starts)
    {
        var from = new Dictionary<MethodDefinition, MethodDefinition?>();
        var queue = new Queue<MethodDefinition>();
        void Visit(MethodDefinition m, MethodDefinition? caller) { if (from.TryAdd(m, caller)) queue.Enqueue(m); }
        foreach (var s in starts) Visit(s, null);
        while (queue.TryDequeue(out var m))
        {
            // An async or iterator method's body is its state machine's MoveNext.
            foreach (var machine in m.CustomAttributes.Where(a => a.AttributeType.Name is "AsyncStateMachineAttribute" or "IteratorStateMachineAttribute"))
                foreach (var move in ((TypeReference)machine.ConstructorArguments[0].Value).Resolve().Methods) Visit(move, m);
            if (!m.HasBody) continue;
            foreach (var called in m.Body.Instructions.Select(i => i.Operand).OfType<MethodReference>())
            {
                if (called.DeclaringType.Namespace.StartsWith(Torch) || AssemblyOf(called.DeclaringType).StartsWith(Torch))
                {
                    var chain = new List<string> { $"{called.DeclaringType.FullName}.{called.Name}" };
                    for (MethodDefinition? c = m; c != null; c = from[c]) chain.Add($"{Outermost(c.DeclaringType).FullName}.{c.Name}");
                    chain.Reverse();
                    return string.Join(" → ", chain);
                }
                if (Ours.Contains(AssemblyOf(called.DeclaringType)) && called.Resolve() is { } definition) Visit(definition, m);
            }
        }
        return null;
    }
}
