using System.CommandLine;
using Semisup.Nn;
using Spectre.Console;

namespace Semisup.Cli;

static class GradCheckCommand
{
    public static Command Create()
    {
        var cmd = new Command("gradcheck",
            "Check each hand-derived backward (sigmoid, tanh, ReLU, leaky ReLU, softmax(β)) against float64 finite differences and libtorch's autograd; exit 1 if any error exceeds its tolerance.");
        cmd.SetAction(_ =>
        {
            var results = GradCheck.All();
            var table = new Table().AddColumns("function", "max abs vs FD", "max rel vs FD", "max abs vs autograd", "max rel vs autograd", "result");
            foreach (var r in results)
                table.AddRow(Markup.Escape(r.Name), $"{r.MaxAbsVsFiniteDifferences:E2}", $"{r.MaxRelVsFiniteDifferences:E2}",
                    $"{r.MaxAbsVsAutograd:E2}", $"{r.MaxRelVsAutograd:E2}", r.Passed ? "[green]pass[/]" : "[red]FAIL[/]");
            AnsiConsole.Write(table);
            Console.WriteLine($"tolerances (relative to the largest gradient entry): {GradCheck.FiniteDifferenceTolerance:E0} vs finite differences, {GradCheck.AutogradTolerance:E0} vs autograd");
            return results.All(r => r.Passed) ? 0 : 1;
        });
        return cmd;
    }
}
