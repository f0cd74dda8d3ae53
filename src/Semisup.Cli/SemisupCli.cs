using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;

namespace Semisup.Cli;

public static class SemisupCli
{
    public static RootCommand Build() => new("Semisup: semi-supervised image classification on TorchSharp (MNIST, Fashion-MNIST).")
    {
        DataCommands.Create(),
        TrainCommand.Create(),
        RecipesCommand.Create(),
        ModelCommands.Evaluate(),
        ModelCommands.Predict(),
        GradCheckCommand.Create(),
        CompareCommand.Create(),
        ExportCommand.Create(),
        ServeCommand.Create(),
        CheckpointCommand.Create(),
    };

    /// <summary>A parse error as a user can act on it: System.CommandLine words a value that is not a number of the
    /// option's type with .NET's type name (System.Nullable`1[System.UInt64]).</summary>
    static string Describe(ParseError error)
    {
        var option = error.SymbolResult as OptionResult ?? error.SymbolResult?.Parent as OptionResult;
        var type = option is null ? null : Nullable.GetUnderlyingType(option.Option.ValueType) ?? option.Option.ValueType;
        string? wanted = type == typeof(int) ? "a whole number" : type == typeof(ulong) ? "a whole number, 0 or more" : null;
        return wanted != null && option!.Tokens is [var token] ? $"{option.Option.Name} {token.Value}: give {wanted}." : error.Message;
    }

    /// <summary>Runs a command line; user errors print one line on stderr and give exit code 1. A file-system failure
    /// (an output under a file, a read-only directory, a full disk) is the user's to fix too, so it is reported the same
    /// way; an assembly that fails to load or a short read are the program's faults and keep their stack trace.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            var parse = Build().Parse(args);
            // System.CommandLine would print the command's whole help on stdout after its error.
            if (parse.Errors.Count > 0)
            {
                Console.Error.WriteLine($"error: {string.Join(" ", parse.Errors.Select(Describe))} (--help lists the options)");
                return 1;
            }
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is SemisupException or UnauthorizedAccessException or IOException and not (FileLoadException or EndOfStreamException))
        {
            Console.Error.WriteLine($"error: {CliErrors.Word(e)}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled.");
            return 130;
        }
    }
}
