using Semisup.Cli;

namespace Semisup.Tests.Cli;

/// <summary>Runs a command line in-process with standard output and error captured.</summary>
static class CliCapture
{
    public static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var (stdout, stderr) = (Console.Out, Console.Error);
        Console.SetOut(output);
        Console.SetError(error);
        try { return (await SemisupCli.RunAsync(args), output.ToString(), error.ToString()); }
        finally { Console.SetOut(stdout); Console.SetError(stderr); }
    }
}
